// Package jobstest helps test code that uses the jobs plugin: run a worker
// synchronously, and assert which jobs were enqueued (committed).
package jobstest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/jobs"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"
)

// Run works one job of args with w in the calling goroutine, as River would
// on a first attempt, without a database: the args go through JSON first
// (so a field River would lose is lost here too), the job row says
// attempt 1 of River's default maximum, and the worker's Timeout, if
// positive, bounds ctx. It returns the worker's error (or its panic, as an
// error). For a run that records the job's outcome in the database, use
// River's rivertest.NewWorker.
func Run[A river.JobArgs](ctx context.Context, w river.Worker[A], args A) (err error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("jobstest: encode args: %w", err)
	}
	var decoded A
	if err := json.Unmarshal(raw, &decoded); err != nil {
		return fmt.Errorf("jobstest: decode args: %w", err)
	}
	now := time.Now()
	job := &river.Job[A]{
		JobRow: &rivertype.JobRow{
			ID: 1, Attempt: 1, AttemptedAt: &now, CreatedAt: now, ScheduledAt: now,
			EncodedArgs: raw, Kind: args.Kind(), MaxAttempts: river.MaxAttemptsDefault,
			Priority: river.PriorityDefault, Queue: river.QueueDefault, State: rivertype.JobStateRunning,
		},
		Args: decoded,
	}
	if d := w.Timeout(job); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("jobstest: worker panicked: %v", v)
		}
	}()
	return w.Work(ctx, job)
}

// RequireEnqueued fails the test unless exactly one committed job of
// expected's kind matches opts (nil: any), and returns it with its args
// decoded. The plugin must have started (its pool is used).
func RequireEnqueued[A river.JobArgs](tb testing.TB, p *jobs.Plugin, expected A, opts *rivertest.RequireInsertedOpts) *river.Job[A] {
	tb.Helper()
	return rivertest.RequireInserted(context.Background(), tb, riverpgxv5.New(p.Pool()), expected, withSchema(p, opts))
}

// RequireNotEnqueued fails the test if a committed job of expected's kind
// matches opts (nil: any).
func RequireNotEnqueued[A river.JobArgs](tb testing.TB, p *jobs.Plugin, expected A, opts *rivertest.RequireInsertedOpts) {
	tb.Helper()
	rivertest.RequireNotInserted(context.Background(), tb, riverpgxv5.New(p.Pool()), expected, withSchema(p, opts))
}

func withSchema(p *jobs.Plugin, opts *rivertest.RequireInsertedOpts) *rivertest.RequireInsertedOpts {
	if p.Schema() == "" {
		return opts
	}
	o := rivertest.RequireInsertedOpts{}
	if opts != nil {
		o = *opts
	}
	if o.Schema == "" {
		o.Schema = p.Schema()
	}
	return &o
}
