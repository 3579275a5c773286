package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/jobs"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// GuardArgs is the job of TestUserRiverMiddleware: Mode says how its
// attempt ends ("ok", "fail", "panic", or "refuse": the user's middleware
// fails it without working it). Pad makes it as large as wanted.
type GuardArgs struct {
	Mode string `json:"mode"`
	Pad  string `json:"pad,omitempty"`
}

func (GuardArgs) Kind() string { return "guard" }

// userMiddleware is River middleware an application adds through
// WithRiverConfig (as OpenTelemetry's otelriver would): it sees inserts and
// attempts, and refuses to work jobs whose mode is "refuse".
type userMiddleware struct {
	river.MiddlewareDefaults
	jp *jobs.Plugin

	mu       sync.Mutex
	inserted []int            // sizes of the arguments of the guard jobs inserted
	worked   map[int64]string // job ID -> mode
	tracked  int              // attempts during which the plugin counted the job as running
}

func (m *userMiddleware) InsertMany(ctx context.Context, many []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	m.mu.Lock()
	for _, j := range many {
		if j.Kind == "guard" {
			m.inserted = append(m.inserted, len(j.EncodedArgs))
		}
	}
	m.mu.Unlock()
	return doInner(ctx)
}

func (m *userMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var args GuardArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
		return err
	}
	mode := args.Mode
	m.mu.Lock()
	m.worked[job.ID] = mode
	if jobStats(m.jp)["running"] >= 1 {
		m.tracked++
	}
	m.mu.Unlock()
	if mode == "refuse" {
		return errors.New("refused by the application's middleware")
	}
	return doInner(ctx)
}

// TestUserRiverMiddleware: River middleware the application adds through
// WithRiverConfig (Config.Middleware and Config.Plugins) runs beside the
// plugin's: River accepts the configuration, the user's middleware sees
// every insert and attempt, and the plugin's figures and payload cap still
// hold: an attempt that fails, panics, or is refused by the user's
// middleware counts as failed; a job over the cap is refused, by both River
// clients (Enqueue, EnqueueTx), after the user's insert middleware has seen
// it.
func TestUserRiverMiddleware(t *testing.T) {
	db := ormtest.Postgres(t)
	ctx := context.Background()
	app := covet.New(quiet())
	mw := &userMiddleware{worked: map[int64]string{}}
	var pluginWorks sync.Map // job ID -> struct{}: seen by the user's River plugin
	jp := jobs.New(jobs.WithDSN(db.DSN), jobs.WithFetchInterval(100*time.Millisecond), jobs.WithMaxPayload(1024),
		jobs.WithRiverConfig(func(c *river.Config) {
			c.Middleware = append(c.Middleware, mw)
			c.Plugins = append(c.Plugins, river.WorkerMiddlewareFunc(func(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
				pluginWorks.Store(job.ID, struct{}{})
				return doInner(ctx)
			}))
		}))
	mw.jp = jp
	jobs.RegisterFunc(jp, func(ctx context.Context, j *river.Job[GuardArgs]) error {
		switch j.Args.Mode {
		case "fail":
			return errors.New("the job failed")
		case "panic":
			panic("the job panicked")
		}
		return nil
	})
	must(t, app.Install(jp))
	must(t, app.Start(ctx))
	t.Cleanup(func() { _ = app.Stop(context.Background()) })

	modes := []string{"ok", "fail", "panic", "refuse"}
	ids := map[int64]string{}
	for _, mode := range modes {
		res, err := jp.Enqueue(ctx, GuardArgs{Mode: mode}, &river.InsertOpts{MaxAttempts: 1})
		must(t, err)
		ids[res.Job.ID] = mode
	}
	// Over the cap: the user's insert middleware sees it, the plugin's cap
	// refuses it.
	_, err := jp.Enqueue(ctx, GuardArgs{Mode: "ok", Pad: strings.Repeat("x", 1024)}, nil)
	if !errors.Is(err, jobs.ErrPayloadTooLarge) {
		t.Fatalf("a payload over the cap with the user's middleware: %v, want ErrPayloadTooLarge", err)
	}
	// The same in a transaction (the insert-only client on database/sql).
	tx, err := db.BeginTx(ctx, nil)
	must(t, err)
	if _, err := jp.EnqueueTx(ctx, tx, GuardArgs{Mode: "ok", Pad: strings.Repeat("x", 1024)}, nil); !errors.Is(err, jobs.ErrPayloadTooLarge) {
		t.Fatalf("EnqueueTx over the cap with the user's middleware: %v, want ErrPayloadTooLarge", err)
	}
	must(t, tx.Rollback())

	waitFor(t, 60*time.Second, "4 attempts worked", func() (bool, string) {
		s := jobStats(jp)
		return s["worked"] == 4, fmt.Sprint(s)
	})
	s := jobStats(jp)
	if s["enqueued"] != 4 || s["failed"] != 3 || s["running"] != 0 {
		t.Errorf("figures %v, want enqueued 4, worked 4, failed 3 (fail, panic, refuse), running 0", s)
	}
	for id, mode := range ids {
		want := "completed"
		if mode != "ok" {
			want = "discarded"
		}
		waitFor(t, 60*time.Second, fmt.Sprintf("job %q to be %s", mode, want), func() (bool, string) {
			got := jobState(t, db, id)
			return got == want, got
		})
		if _, ok := pluginWorks.Load(id); !ok {
			t.Errorf("job %q: not seen by the user's River plugin", mode)
		}
	}

	mw.mu.Lock()
	defer mw.mu.Unlock()
	if len(mw.worked) != len(ids) {
		t.Errorf("the user's middleware saw %d attempts (%v), want %d", len(mw.worked), mw.worked, len(ids))
	}
	for id, mode := range ids {
		if mw.worked[id] != mode {
			t.Errorf("job %d: the user's middleware saw mode %q, want %q", id, mw.worked[id], mode)
		}
	}
	if mw.tracked != len(ids) {
		t.Errorf("the plugin counted %d of %d jobs as running inside the user's middleware; its tracking must wrap it", mw.tracked, len(ids))
	}
	if len(mw.inserted) != len(ids)+2 || mw.inserted[len(ids)] <= 1024 || mw.inserted[len(ids)+1] <= 1024 {
		t.Errorf("the user's insert middleware saw payloads of %v bytes, want %d jobs and last the two over the cap", mw.inserted, len(ids)+2)
	}
	if n := countRows(t, db, "SELECT count(*) FROM river_job WHERE kind = 'guard'"); n != len(ids) {
		t.Errorf("%d guard jobs stored, want %d (not the one over the cap)", n, len(ids))
	}
}
