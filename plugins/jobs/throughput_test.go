package jobs_test

import (
	"context"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/jobs"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// SmallArgs is the job of the throughput comparison: it does nothing.
type SmallArgs struct {
	N int `json:"n"`
}

func (SmallArgs) Kind() string { return "small" }

// benchJobs and benchEnqueuers: the 10,000 jobs, enqueued one by
// one by 8 goroutines spread over the two instances while they work.
const benchEnqueuers = 8

func benchJobs() int {
	if n, err := strconv.Atoi(os.Getenv("COVET_JOBS_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// counter counts worked jobs and closes done at the target.
type counter struct {
	n      atomic.Int64
	target int64
	done   chan struct{}
}

func newCounter(target int) *counter {
	return &counter{target: int64(target), done: make(chan struct{})}
}

func (c *counter) work(context.Context, *river.Job[SmallArgs]) error {
	if c.n.Add(1) == c.target {
		close(c.done)
	}
	return nil
}

// enqueueAll inserts n jobs through the instances' insert functions,
// round-robin, from benchEnqueuers goroutines.
func enqueueAll(t *testing.T, n int, inserts []func(ctx context.Context, a SmallArgs) error) {
	var wg sync.WaitGroup
	var next atomic.Int64
	var failed atomic.Pointer[error]
	for g := 0; g < benchEnqueuers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := inserts[i%len(inserts)](context.Background(), SmallArgs{N: i}); err != nil {
					failed.Store(&err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if e := failed.Load(); e != nil {
		t.Fatal(*e)
	}
}

func waitCounter(t *testing.T, c *counter) {
	select {
	case <-c.done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("only %d of %d jobs worked", c.n.Load(), c.target)
	}
}

// runRiverAlone: two River clients on pgx (River's own setup, default
// queue with the plugin's default of 50 workers), as a program without
// Covet would run them. Returns the time from the first insert to the
// last job worked.
func runRiverAlone(t *testing.T, n int) time.Duration {
	db := ormtest.Postgres(t)
	ctx := context.Background()
	c := newCounter(n)
	var clients []*river.Client[pgxTx]
	var inserts []func(ctx context.Context, a SmallArgs) error
	for i := 0; i < 2; i++ {
		pool, err := pgxpool.New(ctx, db.DSN)
		must(t, err)
		defer pool.Close()
		if i == 0 {
			m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
			must(t, err)
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
			must(t, err)
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, river.WorkFunc(c.work))
		cl, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
			ID:      "river-alone-" + strconv.Itoa(i) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36),
			Workers: workers, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: jobs.DefaultMaxWorkers}},
			Logger: quietLogger(),
		})
		must(t, err)
		must(t, cl.Start(ctx))
		clients = append(clients, cl)
		inserts = append(inserts, func(ctx context.Context, a SmallArgs) error {
			_, err := cl.Insert(ctx, a, nil)
			return err
		})
	}
	start := time.Now()
	enqueueAll(t, n, inserts)
	waitCounter(t, c)
	d := time.Since(start)
	for _, cl := range clients {
		must(t, cl.Stop(ctx))
	}
	return d
}

// runCovet: the same with two apps using the jobs plugin, enqueueing
// through Plugin.Enqueue.
func runCovet(t *testing.T, n int) time.Duration {
	db := ormtest.Postgres(t)
	ctx := context.Background()
	c := newCounter(n)
	var inserts []func(ctx context.Context, a SmallArgs) error
	for i := 0; i < 2; i++ {
		app := covet.New(quiet())
		jp := jobs.New(jobs.WithDSN(db.DSN))
		jobs.RegisterFunc(jp, c.work)
		must(t, app.Install(jp))
		must(t, app.Start(ctx))
		defer app.Stop(context.Background())
		inserts = append(inserts, func(ctx context.Context, a SmallArgs) error {
			_, err := jp.Enqueue(ctx, a, nil)
			return err
		})
	}
	start := time.Now()
	enqueueAll(t, n, inserts)
	waitCounter(t, c)
	return time.Since(start)
}

// TestThroughputBesideRiver compares, in one run, the time to enqueue and
// work 10,000 small jobs with two instances: River alone against the
// plugin. Rounds alternate which goes first. Behind a flag (it takes about
// a minute):
//
//	COVET_JOBS_BENCH=1 go test -run TestThroughputBesideRiver -v .
//
// COVET_JOBS_BENCH_ROUNDS (default 3) and COVET_JOBS_BENCH_N (default
// 10000) change the size. The target is a median ratio of at most 1.1.
func TestThroughputBesideRiver(t *testing.T) {
	if os.Getenv("COVET_JOBS_BENCH") != "1" {
		t.Skip("set COVET_JOBS_BENCH=1 to run the throughput comparison")
	}
	n := benchJobs()
	rounds := 3
	if r, err := strconv.Atoi(os.Getenv("COVET_JOBS_BENCH_ROUNDS")); err == nil && r > 0 {
		rounds = r
	}
	var ratios []float64
	for r := 0; r < rounds; r++ {
		var river, cov time.Duration
		if r%2 == 0 {
			river, cov = runRiverAlone(t, n), runCovet(t, n)
		} else {
			cov, river = runCovet(t, n), runRiverAlone(t, n)
		}
		ratio := float64(cov) / float64(river)
		ratios = append(ratios, ratio)
		t.Logf("round %d: %d jobs, two instances: River alone %v (%.0f jobs/s), Covet jobs %v (%.0f jobs/s), ratio %.3f",
			r+1, n, river.Round(time.Millisecond), float64(n)/river.Seconds(), cov.Round(time.Millisecond), float64(n)/cov.Seconds(), ratio)
	}
	sort.Float64s(ratios)
	med := ratios[len(ratios)/2]
	t.Logf("median ratio Covet/River: %.3f (target <= 1.1)", med)
	if med > 1.1 {
		t.Errorf("median ratio %.3f is above 1.1", med)
	}
}

type pgxTx = pgx.Tx

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
