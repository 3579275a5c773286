package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/jobs"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/riverqueue/river"
)

// BlobArgs carries data it should not: the payload cap's subject.
type BlobArgs struct {
	Data string `json:"data"`
}

func (BlobArgs) Kind() string { return "blob" }

// TestPayloadCap: a job whose arguments exceed the cap is not inserted, by
// any path (Enqueue, EnqueueTx, the River client), with an error naming
// the kind, the size and the cap; one at the cap is; WithMaxPayload moves
// the cap and 0 takes it off.
func TestPayloadCap(t *testing.T) {
	db := ormtest.Postgres(t)
	ctx := context.Background()
	start := func(opts ...jobs.Option) *jobs.Plugin {
		jp := jobs.New(append([]jobs.Option{jobs.WithDSN(db.DSN), jobs.WithoutWorkers()}, opts...)...)
		jobs.RegisterFunc(jp, func(context.Context, *river.Job[BlobArgs]) error { return nil })
		app := covet.New(quiet())
		must(t, app.Install(jp))
		must(t, app.Start(ctx))
		t.Cleanup(func() { _ = app.Stop(context.Background()) })
		return jp
	}
	// {"data":"..."} is 11 bytes around the data.
	blob := func(total int) BlobArgs { return BlobArgs{Data: strings.Repeat("x", total-11)} }
	jobsOfKind := func() int { return countRows(t, db, "SELECT count(*) FROM river_job WHERE kind = 'blob'") }

	jp := start()
	if _, err := jp.Enqueue(ctx, blob(jobs.DefaultMaxPayload), nil); err != nil {
		t.Fatalf("a payload at the default cap: %v", err)
	}
	_, err := jp.Enqueue(ctx, blob(jobs.DefaultMaxPayload+1), nil)
	if !errors.Is(err, jobs.ErrPayloadTooLarge) {
		t.Fatalf("a payload over the default cap: %v, want ErrPayloadTooLarge", err)
	}
	for _, want := range []string{`"blob"`, "262145 bytes", "cap of 262144", "WithMaxPayload"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	if _, err := jp.Client().Insert(ctx, blob(jobs.DefaultMaxPayload+1), nil); !errors.Is(err, jobs.ErrPayloadTooLarge) {
		t.Fatalf("Client().Insert over the cap: %v", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	must(t, err)
	if _, err := jp.EnqueueTx(ctx, tx, blob(jobs.DefaultMaxPayload+1), nil); !errors.Is(err, jobs.ErrPayloadTooLarge) {
		t.Fatalf("EnqueueTx over the cap: %v", err)
	}
	must(t, tx.Rollback())
	if _, err := jp.Client().InsertMany(ctx, []river.InsertManyParams{{Args: blob(100)}, {Args: blob(jobs.DefaultMaxPayload + 1)}}); !errors.Is(err, jobs.ErrPayloadTooLarge) {
		t.Fatalf("InsertMany with one job over the cap: %v", err)
	}
	if n := jobsOfKind(); n != 1 {
		t.Fatalf("%d blob jobs stored, want 1 (the one at the cap)", n)
	}

	small := start(jobs.WithMaxPayload(1024))
	if _, err := small.Enqueue(ctx, blob(1025), nil); !errors.Is(err, jobs.ErrPayloadTooLarge) {
		t.Fatalf("over WithMaxPayload(1024): %v", err)
	}
	if _, err := small.Enqueue(ctx, blob(1024), nil); err != nil {
		t.Fatalf("at WithMaxPayload(1024): %v", err)
	}
	uncapped := start(jobs.WithMaxPayload(0))
	if _, err := uncapped.Enqueue(ctx, blob(jobs.DefaultMaxPayload+1), nil); err != nil {
		t.Fatalf("WithMaxPayload(0): %v", err)
	}
}
