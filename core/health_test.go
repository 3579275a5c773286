package covet_test

import (
	"bytes"
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// hcPlugin reports a fixed health, or blocks (ignoring its context) until
// released.
type hcPlugin struct {
	name  string
	rep   covet.HealthReport
	block chan struct{}
}

func (p *hcPlugin) Name() string             { return p.name }
func (p *hcPlugin) Install(*covet.App) error { return nil }
func (p *hcPlugin) CheckHealth(ctx context.Context, _ covet.HealthKind) covet.HealthReport {
	if p.block != nil {
		<-p.block
	}
	return p.rep
}

// TestReadyzPublicOutput (issue 13 #11): the public readiness answer names
// the failing plugin and nothing of its error or details; those go to the
// log. WithHealthDetails shows them.
func TestReadyzPublicOutput(t *testing.T) {
	secret := "dial tcp covet_user@db.internal:5432: connection refused"
	mk := func(opts ...covet.Option) (*covet.App, *bytes.Buffer) {
		var logs bytes.Buffer
		app := covet.New(append([]covet.Option{covet.WithHealth(), covet.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil)))}, opts...)...)
		must(t, app.Install(
			&hcPlugin{name: "orm", rep: covet.HealthReport{Status: covet.HealthDown, Error: secret, Details: map[string]any{"addr": "db.internal:5432"}}},
			&hcPlugin{name: "cache", rep: covet.HealthReport{Status: covet.HealthOK, Details: map[string]any{"backend": "redis://cache.internal:6379"}}},
		))
		return app, &logs
	}
	app, logs := mk()
	res := covettest.New(t, app).Get("/readyz").Do().ExpectStatus(503)
	body := res.Text()
	if want := `{"status":"down","plugins":{"orm":{"status":"down"}}}`; strings.TrimSpace(body) != want {
		t.Errorf("public readyz body\n got  %s\n want %s", body, want)
	}
	if !strings.Contains(logs.String(), secret) || !strings.Contains(logs.String(), `"plugin":"orm"`) {
		t.Errorf("the failing check's error is not in the log: %s", logs.String())
	}
	// Logged once per change, not per probe.
	covettest.New(t, app).Get("/readyz").Do().ExpectStatus(503)
	if n := strings.Count(logs.String(), secret); n != 1 {
		t.Errorf("the failure was logged %d times over two probes, want once (on change)", n)
	}

	detailed, _ := mk(covet.WithHealthDetails())
	var hr covet.HealthResponse
	covettest.New(t, detailed).Get("/readyz").Do().ExpectStatus(503).Decode(&hr)
	if hr.Plugins["orm"].Error != secret || hr.Plugins["cache"].Details["backend"] == nil {
		t.Errorf("WithHealthDetails answer %+v", hr)
	}
}

// TestHungHealthCheckLeavesNoGoroutinePerProbe (issue 12 §2): 50 concurrent
// /readyz probes against a check that ignores its deadline answer 503 and
// leave one goroutine behind (the hung check), not one per probe; a second
// wave does not start the check again.
func TestHungHealthCheckLeavesNoGoroutinePerProbe(t *testing.T) {
	block := make(chan struct{})
	app := covet.New(quiet(), covet.WithHealth(), covet.WithHealthTimeout(50*time.Millisecond))
	must(t, app.Install(&hcPlugin{name: "db", block: block}))
	cl := covettest.New(t, app)
	cl.Get("/healthz-warmup").Do()
	before := runtime.NumGoroutine()
	for wave := 0; wave < 2; wave++ {
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl.Get("/readyz").Do().ExpectStatus(503)
			}()
		}
		wg.Wait()
		if grown := runtime.NumGoroutine() - before; grown > 3 {
			t.Fatalf("wave %d: %d goroutines more than before the probes (one hung check should cost one)", wave+1, grown)
		}
	}
	var hr covet.HealthResponse
	if hr = app.CheckHealth(context.Background(), covet.Readiness); !strings.Contains(hr.Plugins["db"].Error, "still running") {
		t.Errorf("hung check reported as %+v", hr.Plugins["db"])
	}
	close(block)
	// Once the hung check returns, the plugin is checked again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		hr = app.CheckHealth(context.Background(), covet.Readiness)
		if hr.Status == covet.HealthOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if hr.Status != covet.HealthOK {
		t.Errorf("after the check returned: %+v", hr)
	}
}
