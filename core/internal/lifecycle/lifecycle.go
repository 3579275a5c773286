// Package lifecycle starts, stops and cleans up covet's plugins: the start
// order (install order, a plugin that names others in StartAfter after
// them), the stop of the started ones in reverse order when one fails, and
// the Cleanup of every installed one. covet's plugin.go keeps the public
// interfaces (Plugin, Starter, Stopper, Cleaner, Dependent); this package
// finds them by their method sets. CheckNew refuses a plugin Install cannot
// take (nil, unnamed, a name already installed). Signal is the drain signal
// behind App.Draining, ErrDraining its cause. It does not import covet.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Plugin is what the lifecycle needs of a plugin: its name. Start, Stop,
// Cleanup and StartAfter are found by type assertion.
type Plugin interface{ Name() string }

type (
	starter interface {
		Start(ctx context.Context) error
	}
	stopper interface {
		Stop(ctx context.Context) error
	}
	cleaner   interface{ Cleanup() error }
	dependent interface{ StartAfter() []string }
)

// Lifecycle tracks which plugins were started.
type Lifecycle[P Plugin] struct {
	mu      sync.Mutex
	started []P
	order   []P // start order of the current (or last) run
	running bool
	cleaned bool // Cleanup ran since the last start
	cancel  context.CancelFunc
}

// Start starts plugins in start order, unless they run already. rearm runs
// (under the lock) before the first plugin starts, started after the last.
// When a Start fails, the plugins started before it are stopped in reverse
// order, every plugin is cleaned up, and the errors are joined.
func (l *Lifecycle[P]) Start(ctx context.Context, plugins []P, rearm, started func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running {
		return nil
	}
	order, err := Order(plugins)
	if err != nil {
		return err
	}
	rearm()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.cancel = cancel
	l.order = order
	l.cleaned = false
	l.started = l.started[:0]
	for _, p := range order {
		if s, ok := any(p).(starter); ok {
			if err := s.Start(runCtx); err != nil {
				stopErr := l.stopLocked(context.WithoutCancel(ctx))
				cancel()
				l.cleaned = true
				return errors.Join(fmt.Errorf("covet: start plugin %q: %w", p.Name(), err), stopErr, CleanupAll(order))
			}
		}
		l.started = append(l.started, p)
	}
	l.running = true
	started()
	return nil
}

// Stop stops the started plugins in reverse start order and cleans up
// every one; plugins never started are only cleaned up (once).
func (l *Lifecycle[P]) Stop(ctx context.Context, plugins []P) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.running {
		if l.cleaned {
			return nil
		}
		// Never started: the installed plugins are cleaned up.
		l.cleaned = true
		order, err := Order(plugins)
		if err != nil {
			order = plugins
		}
		return CleanupAll(order)
	}
	err := l.stopLocked(ctx)
	l.running = false
	if l.cancel != nil {
		l.cancel()
	}
	l.cleaned = true
	return errors.Join(err, CleanupAll(l.order))
}

func (l *Lifecycle[P]) stopLocked(ctx context.Context) error {
	var errs []error
	for i := len(l.started) - 1; i >= 0; i-- {
		p := l.started[i]
		if s, ok := any(p).(stopper); ok {
			if err := s.Stop(ctx); err != nil {
				errs = append(errs, fmt.Errorf("covet: stop plugin %q: %w", p.Name(), err))
			}
		}
	}
	l.started = l.started[:0]
	return errors.Join(errs...)
}

// CleanupAll runs Cleanup for the cleaners among plugins, in reverse order,
// and joins their errors.
func CleanupAll[P Plugin](plugins []P) error {
	var errs []error
	for i := len(plugins) - 1; i >= 0; i-- {
		if c, ok := any(plugins[i]).(cleaner); ok {
			if err := c.Cleanup(); err != nil {
				errs = append(errs, fmt.Errorf("covet: clean up plugin %q: %w", plugins[i].Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// Order returns the plugins in start order: install order, except that a
// plugin with StartAfter comes after the installed plugins it names. Among
// plugins free to start, the one installed first starts first.
func Order[P Plugin](plugins []P) ([]P, error) {
	index := make(map[string]int, len(plugins))
	for i, p := range plugins {
		index[p.Name()] = i
	}
	deps := make([][]int, len(plugins))
	hasDeps := false
	for i, p := range plugins {
		d, ok := any(p).(dependent)
		if !ok {
			continue
		}
		for _, name := range d.StartAfter() {
			if j, ok := index[name]; ok && j != i {
				deps[i] = append(deps[i], j)
				hasDeps = true
			}
		}
	}
	if !hasDeps {
		return slices.Clone(plugins), nil
	}
	placed := make([]bool, len(plugins))
	out := make([]P, 0, len(plugins))
	for len(out) < len(plugins) {
		progress := false
		for i, p := range plugins {
			if placed[i] || !allPlaced(deps[i], placed) {
				continue
			}
			placed[i] = true
			out = append(out, p)
			progress = true
			break // restart: the earliest installed free plugin goes next
		}
		if !progress {
			var cycle []string
			for i, p := range plugins {
				if !placed[i] {
					cycle = append(cycle, fmt.Sprintf("%q", p.Name()))
				}
			}
			return nil, fmt.Errorf("covet: plugins %s wait for each other to start (StartAfter cycle)", strings.Join(cycle, ", "))
		}
	}
	return out, nil
}

func allPlaced(deps []int, placed []bool) bool {
	for _, j := range deps {
		if !placed[j] {
			return false
		}
	}
	return true
}

// ErrDraining is covet's ErrDraining, the drain signal's cause: status 503,
// and errors.Is(ErrDraining, context.Canceled) holds.
var ErrDraining error = drainingError{}

type drainingError struct{}

func (drainingError) Error() string        { return "covet: server is shutting down" }
func (drainingError) StatusCode() int      { return http.StatusServiceUnavailable }
func (drainingError) Is(target error) bool { return target == context.Canceled }

// Signal is an app's drain signal (covet.App.Draining): a context canceled
// with a cause when shutdown begins, made anew when the app serves again.
// The zero Signal is ready.
type Signal struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// Current returns the signal's context, making it on first use.
func (s *Signal) Current() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancelCause(context.Background())
	}
	return s.ctx
}

// Begin fires the signal with cause (once; later calls change nothing).
func (s *Signal) Begin(cause error) {
	s.Current()
	s.mu.Lock()
	s.cancel(cause)
	s.mu.Unlock()
}

// Rearm makes a fresh signal after a fired one, for the next serve.
func (s *Signal) Rearm() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx != nil && s.ctx.Err() != nil {
		s.ctx, s.cancel = nil, nil
	}
}

// CheckNew refuses a plugin App.Install cannot take: nil, with an empty
// name, or with the name of one of the installed plugins.
func CheckNew[P Plugin](installed []P, p P) error {
	if any(p) == nil {
		return errors.New("covet: Install: nil plugin")
	}
	name := p.Name()
	if name == "" {
		return fmt.Errorf("covet: Install: plugin %T has an empty name", p)
	}
	for _, q := range installed {
		if q.Name() == name {
			return fmt.Errorf("covet: plugin %q (%T) is already installed", name, q)
		}
	}
	return nil
}
