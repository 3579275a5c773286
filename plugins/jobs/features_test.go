package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/jobs"
	"github.com/covetgo/covet/plugins/jobs/jobstest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"
)

type MailArgs struct {
	To string `json:"to"`
}

func (MailArgs) Kind() string { return "mail" }

type ReminderArgs struct {
	Note string `json:"note"`
}

func (ReminderArgs) Kind() string { return "reminder" }

type TickArgs struct{}

func (TickArgs) Kind() string { return "tick" }

// FlakyArgs fails its first attempt; its worker retries at once.
type FlakyArgs struct{}

func (FlakyArgs) Kind() string { return "flaky" }

type flakyWorker struct {
	river.WorkerDefaults[FlakyArgs]
}

func (flakyWorker) Work(ctx context.Context, j *river.Job[FlakyArgs]) error {
	if j.Attempt == 1 {
		return errors.New("first attempt fails")
	}
	return nil
}

// NextRetry retries at once instead of River's exponential backoff.
func (flakyWorker) NextRetry(*river.Job[FlakyArgs]) time.Time { return time.Now() }

// SlowpokeArgs outlives its worker's timeout.
type SlowpokeArgs struct{}

func (SlowpokeArgs) Kind() string { return "slowpoke" }

type slowpokeWorker struct {
	river.WorkerDefaults[SlowpokeArgs]
}

func (slowpokeWorker) Work(ctx context.Context, _ *river.Job[SlowpokeArgs]) error {
	<-ctx.Done()
	return ctx.Err()
}

func (slowpokeWorker) Timeout(*river.Job[SlowpokeArgs]) time.Duration { return 50 * time.Millisecond }

func jobState(t *testing.T, db *ormtest.DB, id int64) string {
	t.Helper()
	var s string
	must(t, db.QueryRowContext(context.Background(), `SELECT state::text FROM river_job WHERE id = ?`, id).Scan(&s))
	return s
}

// TestFeatures: River's features through the plugin on the real
// PostgreSQL: queues and priorities, unique and scheduled jobs, periodic
// jobs, retries, timeouts, the operator view, readiness and jobstest.
func TestFeatures(t *testing.T) {
	db := ormtest.Postgres(t)
	ctx := context.Background()
	app := covet.New(quiet(), covet.WithHealth())
	jp := jobs.New(jobs.WithDSN(db.DSN),
		jobs.WithQueue(river.QueueDefault, 4), jobs.WithQueue("mail", 2),
		jobs.WithFetchInterval(100*time.Millisecond),
		jobs.WithPeriodic(river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return TickArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})),
		jobs.WithView("/ops/jobs"))
	mailed := make(chan string, 10)
	jobs.RegisterFunc(jp, func(ctx context.Context, j *river.Job[MailArgs]) error { mailed <- j.Args.To; return nil })
	jobs.RegisterFunc(jp, func(ctx context.Context, j *river.Job[TickArgs]) error { return nil })
	jobs.RegisterFunc(jp, func(ctx context.Context, j *river.Job[ReminderArgs]) error { return nil })
	jobs.Register(jp, flakyWorker{})
	jobs.Register(jp, slowpokeWorker{})
	must(t, app.Install(jp))
	must(t, app.Start(ctx))
	defer app.Stop(context.Background())
	cl := covettest.New(t, app)

	t.Run("queue and priority", func(t *testing.T) {
		res, err := jp.Enqueue(ctx, MailArgs{To: "ada@example.com"}, &river.InsertOpts{Queue: "mail", Priority: 3})
		must(t, err)
		if res.Job.Queue != "mail" || res.Job.Priority != 3 {
			t.Fatalf("job in queue %q priority %d", res.Job.Queue, res.Job.Priority)
		}
		select {
		case to := <-mailed:
			if to != "ada@example.com" {
				t.Fatalf("worked %q", to)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the mail job was not worked")
		}
	})
	t.Run("unique", func(t *testing.T) {
		opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}, ScheduledAt: time.Now().Add(time.Hour)}
		first, err := jp.Enqueue(ctx, MailArgs{To: "once@example.com"}, opts)
		must(t, err)
		second, err := jp.Enqueue(ctx, MailArgs{To: "once@example.com"}, opts)
		must(t, err)
		if first.UniqueSkippedAsDuplicate || !second.UniqueSkippedAsDuplicate || second.Job.ID != first.Job.ID {
			t.Fatalf("unique: first skipped=%v, second skipped=%v, ids %d/%d", first.UniqueSkippedAsDuplicate, second.UniqueSkippedAsDuplicate, first.Job.ID, second.Job.ID)
		}
	})
	var scheduledID int64
	t.Run("scheduled", func(t *testing.T) {
		res, err := jp.Enqueue(ctx, ReminderArgs{Note: "later"}, &river.InsertOpts{ScheduledAt: time.Now().Add(2 * time.Hour)})
		must(t, err)
		scheduledID = res.Job.ID
		if s := jobState(t, db, scheduledID); s != "scheduled" {
			t.Fatalf("state %q, want scheduled", s)
		}
		j := jobstest.RequireEnqueued(t, jp, ReminderArgs{}, &rivertest.RequireInsertedOpts{State: rivertype.JobStateScheduled, ScheduledAt: res.Job.ScheduledAt})
		if j.Args.Note != "later" {
			t.Fatalf("RequireEnqueued decoded %+v", j.Args)
		}
		jobstest.RequireNotEnqueued(t, jp, TickArgs{}, &rivertest.RequireInsertedOpts{State: rivertype.JobStateScheduled})
	})
	t.Run("periodic", func(t *testing.T) {
		waitFor(t, 30*time.Second, "the periodic job to run on start", func() (bool, string) {
			n := countRows(t, db, `SELECT count(*) FROM river_job WHERE kind = 'tick' AND state = 'completed'`)
			return n >= 1, fmt.Sprintf("%d ticks", n)
		})
	})
	t.Run("retry", func(t *testing.T) {
		res, err := jp.Enqueue(ctx, FlakyArgs{}, nil)
		must(t, err)
		waitFor(t, 30*time.Second, "the flaky job to succeed on its second attempt", func() (bool, string) {
			s := jobState(t, db, res.Job.ID)
			return s == "completed", s
		})
		row, err := jp.Client().JobGet(ctx, res.Job.ID)
		must(t, err)
		if row.Attempt != 2 || len(row.Errors) != 1 {
			t.Fatalf("attempt %d with %d errors, want 2 and 1", row.Attempt, len(row.Errors))
		}
	})
	t.Run("timeout", func(t *testing.T) {
		res, err := jp.Enqueue(ctx, SlowpokeArgs{}, &river.InsertOpts{MaxAttempts: 1})
		must(t, err)
		waitFor(t, 30*time.Second, "the slow job to be discarded after its timeout", func() (bool, string) {
			s := jobState(t, db, res.Job.ID)
			return s == "discarded", s
		})
	})
	t.Run("view", func(t *testing.T) {
		var qs struct {
			Queues []jobs.QueueView `json:"queues"`
		}
		cl.Get("/ops/jobs/queues").Do().ExpectStatus(http.StatusOK).Decode(&qs)
		names := map[string]jobs.QueueView{}
		for _, q := range qs.Queues {
			names[q.Name] = q
		}
		if _, ok := names["mail"]; !ok || names[river.QueueDefault].Counts["scheduled"] < 1 || names["mail"].Counts["completed"] < 1 {
			t.Fatalf("queues view: %+v", qs.Queues)
		}
		var js struct {
			Jobs []jobs.JobView `json:"jobs"`
		}
		cl.Get("/ops/jobs/jobs").Query("state", "scheduled").Query("kind", "reminder,mail").Do().ExpectStatus(http.StatusOK).Decode(&js)
		found := false
		for _, j := range js.Jobs {
			found = found || j.ID == scheduledID
			if j.State != rivertype.JobStateScheduled {
				t.Fatalf("state filter let through %+v", j)
			}
		}
		if !found {
			t.Fatalf("scheduled job %d not listed: %+v", scheduledID, js.Jobs)
		}
		var one jobs.JobView
		cl.Get("/ops/jobs/jobs/" + strconv.FormatInt(scheduledID, 10)).Do().ExpectStatus(http.StatusOK).Decode(&one)
		var args ReminderArgs
		must(t, json.Unmarshal(one.Args, &args))
		if args.Note != "later" {
			t.Fatalf("job view args %s", one.Args)
		}
		cl.Get("/ops/jobs/jobs/99999999").Do().ExpectStatus(http.StatusNotFound)
		cl.Get("/ops/jobs/jobs").Query("state", "bogus").Do().ExpectStatus(http.StatusBadRequest)
		cl.Post("/ops/jobs/jobs").Do().ExpectStatus(http.StatusMethodNotAllowed)
		// Filter values PostgreSQL refuses are the client's mistake, not a 500.
		cl.Get("/ops/jobs/jobs").Query("queue", "a\x00b").Do().ExpectStatus(http.StatusBadRequest)
		cl.Get("/ops/jobs/jobs").Query("kind", "\xff\xfe").Do().ExpectStatus(http.StatusBadRequest)
		cl.Get("/ops/jobs/jobs/9223372036854775808").Do().ExpectStatus(http.StatusBadRequest)
	})
	t.Run("readiness", func(t *testing.T) {
		h := app.CheckHealth(ctx, covet.Readiness)
		rep := h.Plugins["jobs"]
		if h.Status != covet.HealthOK || rep.Status != covet.HealthOK {
			t.Fatalf("readiness %+v", h)
		}
		queues, _ := rep.Details["queues"].(map[string]map[string]int64)
		if queues[river.QueueDefault]["scheduled"] < 1 {
			t.Fatalf("readiness details lack the scheduled jobs: %+v", rep.Details)
		}
	})
}

// TestJobstestRun: a worker runs synchronously with its args decoded from
// JSON and its timeout applied; a panic is an error.
func TestJobstestRun(t *testing.T) {
	if err := jobstest.Run(context.Background(), slowpokeWorker{}, SlowpokeArgs{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slowpoke: %v, want its timeout", err)
	}
	err := jobstest.Run(context.Background(), river.WorkFunc(func(context.Context, *river.Job[MailArgs]) error { panic("oops") }), MailArgs{})
	if err == nil {
		t.Fatal("panic not reported")
	}
}
