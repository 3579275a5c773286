// Package health holds the concurrency of covet's health checks: concurrent
// probes of one kind share a single run, and a check that has not returned
// (it ignored its deadline) is not started again. covet's health.go keeps
// the public types, the endpoints and the combining of reports. It does not
// import covet.
package health

import (
	"context"
	"sync"
)

// Flights is the in-flight state of one app's checks: a run per slot
// (liveness, readiness) and the names whose check still runs.
type Flights[T any] struct {
	mu      sync.Mutex
	flights [2]*flight[T]
	running map[string]bool
}

type flight[T any] struct {
	done    chan struct{}
	res     T
	waiters int // callers that joined (for tests)
}

// Do returns the result of the slot's run: it joins the run in flight, or
// runs run itself. The result is shared with the callers that joined, so
// clone it before changing it. joined reports that another caller ran it;
// ok is false when ctx ended before a joined run did.
func (g *Flights[T]) Do(ctx context.Context, slot int, run func() T) (res T, joined, ok bool) {
	g.mu.Lock()
	if f := g.flights[slot]; f != nil {
		f.waiters++
		g.mu.Unlock()
		select {
		case <-f.done:
			return f.res, true, true
		case <-ctx.Done():
			return res, true, false
		}
	}
	f := &flight[T]{done: make(chan struct{})}
	g.flights[slot] = f
	g.mu.Unlock()
	f.res = run()
	g.mu.Lock()
	g.flights[slot] = nil
	g.mu.Unlock()
	close(f.done)
	return f.res, false, true
}

// Waiters reports how many callers joined the slot's run in flight, and
// whether one is in flight (for tests).
func (g *Flights[T]) Waiters(slot int) (int, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f := g.flights[slot]; f != nil {
		return f.waiters, true
	}
	return 0, false
}

// Claim marks name's check as running; false if one still runs.
func (g *Flights[T]) Claim(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[name] {
		return false
	}
	if g.running == nil {
		g.running = map[string]bool{}
	}
	g.running[name] = true
	return true
}

// Release marks name's check as returned.
func (g *Flights[T]) Release(name string) {
	g.mu.Lock()
	delete(g.running, name)
	g.mu.Unlock()
}
