package covettest_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// lifecycle counts its Start and Stop hooks.
type lifecycle struct{ started, stopped atomic.Int32 }

func (p *lifecycle) Name() string                     { return "lifecycle" }
func (p *lifecycle) Install(*covet.App) error         { return nil }
func (p *lifecycle) Start(context.Context) error      { p.started.Add(1); return nil }
func (p *lifecycle) Stop(context.Context) error       { p.stopped.Add(1); return nil }
func (p *lifecycle) running() bool                    { return p.started.Load() == 1 && p.stopped.Load() == 0 }
func (p *lifecycle) counts() (started, stopped int32) { return p.started.Load(), p.stopped.Load() }

var (
	_ covet.Starter = (*lifecycle)(nil)
	_ covet.Stopper = (*lifecycle)(nil)
)

func TestStartStartsAndStopsAtCleanup(t *testing.T) {
	p := &lifecycle{}
	t.Run("inner", func(t *testing.T) {
		app := covet.New()
		if err := app.Install(p); err != nil {
			t.Fatal(err)
		}
		app.GET("/running", func(c *covet.Context) error {
			if !p.running() {
				return errors.New("plugin not started")
			}
			return c.NoContent(http.StatusNoContent)
		})
		client := covettest.New(t, covettest.Start(t, app))
		client.Get("/running").Do().ExpectStatus(http.StatusNoContent)
		if s, st := p.counts(); s != 1 || st != 0 {
			t.Fatalf("during the test: started %d, stopped %d; want 1, 0", s, st)
		}
	})
	if s, st := p.counts(); s != 1 || st != 1 {
		t.Fatalf("after the test: started %d, stopped %d; want 1, 1", s, st)
	}
}
