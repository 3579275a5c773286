// Package health holds the concurrency of covet's health checks: concurrent
// probes of one kind share a single run, and a check that has not returned
// (it ignored its deadline) is not started again. covet's health.go keeps
// the public types, the endpoints and the combining of reports; the log
// line of a status change is here too. It does not
// import covet.
package health

import (
	"context"
	"log/slog"
	"sync"
	"time"
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

// Check is one plugin's health check.
type Check[R any] struct {
	Name string
	Run  func(ctx context.Context) R
}

// Result is a check's report and how long it took (zero for the reports
// made up for a check that did not answer).
type Result[R any] struct {
	Report  R
	Latency time.Duration
}

// Verdicts are the reports made up for checks that did not answer.
type Verdicts[R any] struct {
	// StillRunning: the check's previous run has not returned; it is not
	// started again.
	StillRunning R
	// TimedOut: the check did not return by ctx's deadline.
	TimedOut R
	// Panicked: the check panicked.
	Panicked R
}

// RunAll runs every check in a goroutine of its own (except those whose
// previous run still runs) and collects the reports that arrive before ctx
// ends. A check is free to be claimed again when it returns, however late;
// late reports do not block.
func RunAll[T, R any](ctx context.Context, g *Flights[T], checks []Check[R], v Verdicts[R]) map[string]Result[R] {
	out := make(map[string]Result[R], len(checks))
	type named struct {
		name string
		res  Result[R]
	}
	results := make(chan named, len(checks))
	var pending []string
	for _, ch := range checks {
		if !g.Claim(ch.Name) {
			out[ch.Name] = Result[R]{Report: v.StillRunning}
			continue
		}
		pending = append(pending, ch.Name)
		go func() {
			defer g.Release(ch.Name)
			start := time.Now()
			rep := runOne(ctx, ch.Run, v.Panicked)
			results <- named{ch.Name, Result[R]{rep, time.Since(start)}}
		}()
	}
collect:
	for n := len(pending); n > 0; n-- {
		select {
		case r := <-results:
			out[r.name] = r.res
		case <-ctx.Done():
			break collect
		}
	}
	for _, name := range pending {
		if _, ok := out[name]; !ok {
			out[name] = Result[R]{Report: v.TimedOut}
		}
	}
	return out
}

// runOne runs one check, turning a panic into the panicked report.
func runOne[R any](ctx context.Context, run func(context.Context) R, panicked R) (rep R) {
	defer func() {
		if v := recover(); v != nil {
			rep = panicked
		}
	}()
	return run(ctx)
}

// Changes remembers each plugin's last status, to log the changes.
type Changes[S comparable] struct {
	mu   sync.Mutex
	last map[string]S
}

// Changed records name's status and reports whether it changed since the
// last check (a first check counts as a change unless its status is ok).
func (c *Changes[S]) Changed(name string, status, ok S) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev, seen := c.last[name]
	if c.last == nil {
		c.last = map[string]S{}
	}
	c.last[name] = status
	return prev != status && (seen || status != ok)
}

// LogChange logs a plugin's report whose status changed: recovered (Info)
// when ok, else failing (Warn), with the error and details the public
// answer leaves out.
func LogChange(l *slog.Logger, plugin, status, kind string, latencyMS float64, errMsg string, details map[string]any, ok bool) {
	attrs := []any{"plugin", plugin, "status", status, "kind", kind, "latency_ms", latencyMS}
	if errMsg != "" {
		attrs = append(attrs, "error", errMsg)
	}
	if len(details) > 0 {
		attrs = append(attrs, "details", details)
	}
	if ok {
		l.Info("covet: health check recovered", attrs...)
		return
	}
	l.Warn("covet: health check failing", attrs...)
}
