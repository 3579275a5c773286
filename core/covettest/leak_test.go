package covettest_test

import (
	"context"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// stopper starts a goroutine in Start and ends it in Stop.
type stopper struct{ done chan struct{} }

func (*stopper) Name() string             { return "covettest-leak-stopper" }
func (*stopper) Install(*covet.App) error { return nil }
func (s *stopper) Start(context.Context) error {
	s.done = make(chan struct{})
	go func() { <-s.done }()
	return nil
}
func (s *stopper) Stop(context.Context) error { close(s.done); return nil }

// TestFailedStartLeavesNothing runs the helper on a plugin that cleans up,
// with the default goroutine check and a LeakCheck that must run in each of
// the three subtests.
func TestFailedStartLeavesNothing(t *testing.T) {
	checks := 0
	covettest.FailedStartLeavesNothing(t, func(*testing.T) covet.Plugin { return &stopper{} },
		covettest.LeakCheck(func(*testing.T) { checks++ }))
	if checks != 3 {
		t.Errorf("LeakCheck ran %d times, want 3", checks)
	}
}
