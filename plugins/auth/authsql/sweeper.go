package authsql

import (
	"context"
	"sync"
	"time"

	covet "github.com/covetgo/covet/core"
)

// Sweeper returns a plugin that runs Sweep every interval (minimum 1 s;
// default 10 min when 0) between the app's Start and Stop: the store's
// only goroutine, and only when installed. Sweep errors are logged by the
// app's logger and retried at the next tick.
func (s *Store) Sweeper(every time.Duration) covet.Plugin {
	if every == 0 {
		every = 10 * time.Minute
	}
	return &sweeper{s: s, every: max(every, time.Second)}
}

type sweeper struct {
	s      *Store
	every  time.Duration
	app    *covet.App
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Name implements covet.Plugin.
func (w *sweeper) Name() string { return "authsql-sweeper" }

// Install implements covet.Plugin.
func (w *sweeper) Install(app *covet.App) error {
	w.app = app
	return nil
}

// Start implements covet.Starter: the ticker goroutine starts.
func (w *sweeper) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	w.cancel, w.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		t := time.NewTicker(w.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := w.s.Sweep(ctx); err != nil && ctx.Err() == nil && w.app != nil {
					w.app.Logger().Warn("authsql: sweep failed", "error", err.Error())
				}
			}
		}
	}(w.done)
	return nil
}

// Stop implements covet.Stopper: the goroutine ends before Stop returns.
func (w *sweeper) Stop(ctx context.Context) error {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.cancel, w.done = nil, nil
	w.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
