package covet

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

type countingCheck struct {
	calls   atomic.Int32
	release chan struct{}
}

func (p *countingCheck) Name() string       { return "counting" }
func (p *countingCheck) Install(*App) error { return nil }
func (p *countingCheck) CheckHealth(ctx context.Context, _ HealthKind) HealthReport {
	p.calls.Add(1)
	<-p.release
	return HealthReport{Status: HealthOK}
}

// TestHealthSingleFlight: probes that arrive while a check runs share its
// answer: 20 concurrent readiness checks run the plugin's check once.
func TestHealthSingleFlight(t *testing.T) {
	p := &countingCheck{release: make(chan struct{})}
	app := New()
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	results := make(chan HealthStatus, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- app.CheckHealth(context.Background(), Readiness).Status
		}()
	}
	// Wait until one probe runs the check and the others have joined it.
	for {
		w, inFlight := app.health.flights.Waiters(int(Readiness))
		joined := inFlight && w == n-1
		if joined {
			break
		}
		runtime.Gosched()
	}
	close(p.release)
	wg.Wait()
	close(results)
	for s := range results {
		if s != HealthOK {
			t.Errorf("a probe got %q", s)
		}
	}
	if c := p.calls.Load(); c != 1 {
		t.Errorf("the check ran %d times for %d concurrent probes, want 1", c, n)
	}
}

// TestHealthJoinedProbesSeeDraining: once shutdown began, every readiness
// probe answers down — also those that joined a check already running.
func TestHealthJoinedProbesSeeDraining(t *testing.T) {
	p := &countingCheck{release: make(chan struct{})}
	app := New()
	if err := app.Install(p); err != nil {
		t.Fatal(err)
	}
	const n = 5
	var wg sync.WaitGroup
	results := make(chan HealthStatus, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- app.CheckHealth(context.Background(), Readiness).Status
		}()
	}
	for {
		if w, inFlight := app.health.flights.Waiters(int(Readiness)); inFlight && w == n-1 {
			break
		}
		runtime.Gosched()
	}
	app.draining.Store(true)
	close(p.release)
	wg.Wait()
	close(results)
	for s := range results {
		if s != HealthDown {
			t.Errorf("a readiness probe during shutdown got %q, want down", s)
		}
	}
}
