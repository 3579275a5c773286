package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/jobs"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/orm/pgsql"
	"github.com/riverqueue/river"
)

// NoteArgs is the job the transactional tests enqueue.
type NoteArgs struct {
	N int `json:"n"`
}

func (NoteArgs) Kind() string { return "note" }

func quiet() covet.Option { return covet.WithLogger(slog.New(slog.DiscardHandler)) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// scale returns full when COVET_JOBS_FULL=1, else small: the default run
// stays fast, the full counts are one variable away.
func scale(small, full int) int {
	if os.Getenv("COVET_JOBS_FULL") == "1" {
		return full
	}
	return small
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, state)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func countRows(t testing.TB, db *ormtest.DB, q string, args ...any) int {
	t.Helper()
	var n int
	must(t, db.QueryRowContext(context.Background(), q, args...).Scan(&n))
	return n
}

// instance is one app of a multi-instance test: orm with Transactional
// routes, and the jobs plugin working the note jobs.
type instance struct {
	app  *covet.App
	jobs *jobs.Plugin
	cl   *covettest.Client
}

// TestEnqueueInRequestTransaction: requests enqueue a job inside their
// transaction; a third roll back (an error answer, or their backend killed
// by pg_terminate_backend before the commit). The jobs are exactly the
// committed requests, and each runs once, with two worker instances.
// COVET_JOBS_FULL=1 runs the 1,000 requests (default 150).
func TestEnqueueInRequestTransaction(t *testing.T) {
	db := ormtest.Postgres(t)
	ctx := context.Background()
	_, err := db.ExecContext(ctx, `CREATE TABLE notes (n int PRIMARY KEY); CREATE TABLE runs (n int PRIMARY KEY, worker text NOT NULL)`)
	must(t, err)
	var dupRuns atomic.Int32
	newInstance := func(name string) *instance {
		app := covet.New(quiet())
		must(t, app.Install(orm.New(orm.WithDriver(pgsql.Driver()), orm.WithDSN(db.DSN), orm.WithMaxOpenConns(8))))
		jp := jobs.New(jobs.WithDSN(db.DSN), jobs.WithFetchInterval(200*time.Millisecond), jobs.WithMaxConns(8))
		jobs.RegisterFunc(jp, func(ctx context.Context, j *river.Job[NoteArgs]) error {
			_, err := db.ExecContext(ctx, `INSERT INTO runs (n, worker) VALUES (?, ?)`, j.Args.N, name)
			if k, _ := orm.Classify(err); err != nil && k == orm.KindUnique {
				dupRuns.Add(1)
				return nil
			}
			return err
		})
		must(t, app.Install(jp))
		app.POST("/notes/{n:int}", func(c *covet.Context) error {
			n, _ := c.ParamInt("n")
			tx, err := orm.DB(c)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(c.Context(), `INSERT INTO notes (n) VALUES (?)`, n); err != nil {
				return err
			}
			if _, err := jp.EnqueueTx(c.Context(), tx, NoteArgs{N: n}, nil); err != nil {
				return err
			}
			switch n % 6 {
			case 0, 3: // a third of the requests: rolled back by an error answer
				return covet.NewError(http.StatusConflict, "rolled back on purpose")
			case 1:
				if n%12 == 1 { // some: the connection is killed before the commit
					var pid int
					if err := tx.QueryRowContext(c.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
						return err
					}
					if _, err := db.ExecContext(c.Context(), `SELECT pg_terminate_backend(?)`, pid); err != nil {
						return err
					}
				}
			}
			return c.NoContent(http.StatusCreated)
		}, orm.Transactional())
		must(t, app.Start(ctx))
		t.Cleanup(func() { _ = app.Stop(context.Background()) })
		return &instance{app: app, jobs: jp, cl: covettest.New(t, app)}
	}
	insts := []*instance{newInstance("a"), newInstance("b")}

	total := scale(150, 1000)
	var committed, failed atomic.Int32
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				res := insts[n%2].cl.Post("/notes/" + strconv.Itoa(n)).Do()
				if res.StatusCode == http.StatusCreated {
					committed.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	for n := 0; n < total; n++ {
		next <- n
	}
	close(next)
	wg.Wait()

	commits := int(committed.Load())
	if commits+int(failed.Load()) != total {
		t.Fatalf("%d commits + %d failures != %d requests", commits, failed.Load(), total)
	}
	// Rolled back: n%6 in {0,3} (a third); killed: n%12 == 1 (their
	// commits fail). Every other request must have committed.
	want := 0
	for n := 0; n < total; n++ {
		if n%6 != 0 && n%6 != 3 && n%12 != 1 {
			want++
		}
	}
	if commits != want {
		t.Errorf("%d requests committed, want %d", commits, want)
	}
	if rows := countRows(t, db, `SELECT count(*) FROM notes`); rows != commits {
		t.Fatalf("%d notes in the table, %d commits answered", rows, commits)
	}
	if jobsN := countRows(t, db, `SELECT count(*) FROM river_job WHERE kind = 'note'`); jobsN != commits {
		t.Fatalf("%d jobs for %d commits: jobs must exist iff the writes commit", jobsN, commits)
	}
	if orphans := countRows(t, db, `SELECT count(*) FROM river_job j WHERE kind = 'note' AND NOT EXISTS (SELECT 1 FROM notes WHERE n = (j.args->>'n')::int)`); orphans != 0 {
		t.Fatalf("%d jobs without their note", orphans)
	}
	waitFor(t, time.Minute, "every job to complete", func() (bool, string) {
		done := countRows(t, db, `SELECT count(*) FROM river_job WHERE kind = 'note' AND state = 'completed'`)
		return done == commits, fmt.Sprintf("%d of %d completed", done, commits)
	})
	if runs := countRows(t, db, `SELECT count(*) FROM runs`); runs != commits || dupRuns.Load() != 0 {
		t.Fatalf("%d runs (%d duplicates) for %d jobs: each must run once", runs, dupRuns.Load(), commits)
	}
	byA := countRows(t, db, `SELECT count(*) FROM runs WHERE worker = 'a'`)
	t.Logf("%d requests, %d commits; instance a worked %d jobs, b %d", total, commits, byA, commits-byA)
}

// SlowArgs is a job that is running when the app shuts down.
type SlowArgs struct {
	ID       int  `json:"id"`
	Stubborn bool `json:"stubborn"`
}

func (SlowArgs) Kind() string { return "slow" }

// TestShutdownFinishesOrReleasesJobs: at shutdown, jobs that finish within
// the deadline complete; jobs still running past it are canceled and made
// available again at once, and another instance finishes them. None is
// lost.
func TestShutdownFinishesOrReleasesJobs(t *testing.T) {
	db := ormtest.Postgres(t)
	ctx := context.Background()
	var started atomic.Int32
	newApp := func(second bool) (*covet.App, *jobs.Plugin) {
		app := covet.New(quiet())
		jp := jobs.New(jobs.WithDSN(db.DSN), jobs.WithFetchInterval(100*time.Millisecond))
		draining := app.Draining()
		jobs.RegisterFunc(jp, func(ctx context.Context, j *river.Job[SlowArgs]) error {
			if second {
				return nil // the second instance finishes what the first released
			}
			started.Add(1)
			if j.Args.Stubborn {
				<-ctx.Done() // only the hard stop ends it
				return ctx.Err()
			}
			<-draining // still running when the shutdown begins
			return nil
		})
		must(t, app.Install(jp))
		return app, jp
	}
	app1, jp1 := newApp(false)
	must(t, app1.Start(ctx))
	const patient, stubborn = 4, 3
	for i := 0; i < patient+stubborn; i++ {
		_, err := jp1.Enqueue(ctx, SlowArgs{ID: i, Stubborn: i >= patient}, nil)
		must(t, err)
	}
	waitFor(t, 30*time.Second, "every job to be running", func() (bool, string) {
		return started.Load() == patient+stubborn, fmt.Sprintf("%d running", started.Load())
	})
	sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	must(t, app1.Stop(sctx))
	if n := countRows(t, db, `SELECT count(*) FROM river_job WHERE state = 'completed'`); n != patient {
		t.Fatalf("%d jobs completed within the deadline, want %d", n, patient)
	}
	if n := countRows(t, db, `SELECT count(*) FROM river_job WHERE state = 'available'`); n != stubborn {
		t.Fatalf("%d jobs available again after the hard stop, want %d", n, stubborn)
	}
	app2, _ := newApp(true)
	must(t, app2.Start(ctx))
	defer app2.Stop(context.Background())
	waitFor(t, 30*time.Second, "the released jobs to complete on the second instance", func() (bool, string) {
		n := countRows(t, db, `SELECT count(*) FROM river_job WHERE state = 'completed'`)
		return n == patient+stubborn, fmt.Sprintf("%d completed", n)
	})
}

// TestEnqueueTxRefusesNonTransaction: a handle that is not a transaction is
// refused rather than silently inserting outside the request's writes.
func TestEnqueueTxRefusesNonTransaction(t *testing.T) {
	db := ormtest.Postgres(t)
	jp := jobs.New(jobs.WithDSN(db.DSN), jobs.WithoutWorkers())
	if _, err := jp.EnqueueTx(context.Background(), db.DB, NoteArgs{}, nil); !errors.Is(err, jobs.ErrNotStarted) {
		t.Fatalf("before start: %v, want ErrNotStarted", err)
	}
	app := covet.New(quiet())
	must(t, app.Install(jp))
	must(t, app.Start(context.Background()))
	defer app.Stop(context.Background())
	if _, err := jp.EnqueueTx(context.Background(), db.DB, NoteArgs{}, nil); !errors.Is(err, jobs.ErrNotTransaction) {
		t.Fatalf("EnqueueTx(*bun.DB): %v, want ErrNotTransaction", err)
	}
}
