package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/jobs"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/riverqueue/river"
)

// FigureArgs is the job of TestAppendStats: odd N fail.
type FigureArgs struct {
	N int `json:"n"`
}

func (FigureArgs) Kind() string { return "figure" }

func jobStats(p *jobs.Plugin) map[string]float64 {
	out := map[string]float64{}
	for _, s := range p.AppendStats(nil) {
		out[s.Name] = s.Value
	}
	return out
}

// TestAppendStats: jobs enqueued and worked on the real PostgreSQL move the
// figures; a failing attempt counts as failed.
func TestAppendStats(t *testing.T) {
	db := ormtest.Postgres(t)
	app := covet.New(quiet())
	jp := jobs.New(jobs.WithDSN(db.DSN), jobs.WithFetchInterval(100*time.Millisecond))
	jobs.RegisterFunc(jp, func(ctx context.Context, j *river.Job[FigureArgs]) error {
		if j.Args.N%2 == 1 {
			return errors.New("odd")
		}
		return nil
	})
	must(t, app.Install(jp))
	ctx := context.Background()
	must(t, app.Start(ctx))
	t.Cleanup(func() { _ = app.Stop(context.Background()) })
	for n := range 4 {
		if _, err := jp.Enqueue(ctx, FigureArgs{N: n}, &river.InsertOpts{MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 30*time.Second, "4 jobs worked", func() (bool, string) {
		s := jobStats(jp)
		return s["worked"] == 4, fmt.Sprint(s)
	})
	s := jobStats(jp)
	if s["enqueued"] != 4 || s["failed"] != 2 || s["running"] != 0 {
		t.Errorf("figures %v, want enqueued 4, worked 4, failed 2, running 0", s)
	}
}
