package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/cache"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
)

// loadResult is one load run's figures.
type loadResult struct {
	requests, errors int
	rps              float64
	p50, p99         time.Duration
	hitRatio         float64 // -1 without the cache
}

// TestResponseCacheLoad measures the response cache on the taskboard: the
// same load against the app with the cache on and off, in one run, over
// HTTP on loopback, each on its own PostgreSQL database
// (TASKBOARD_CACHE_LOAD_DB=sqlite: SQLite).
// Readers fetch task details (ids Zipf-distributed, s = 1.1, over 1,000
// tasks) and list pages (3 in 10 requests); in the mixed load 1 % of
// requests are writes (PATCH of a random task), each invalidating that
// task and every list page on the instance.
//
//	TASKBOARD_CACHE_LOAD=1 go test -run TestResponseCacheLoad -v ./contrib/examples/taskboard
//
// TASKBOARD_CACHE_LOAD_SECONDS sets each run's length (default 10).
func TestResponseCacheLoad(t *testing.T) {
	if os.Getenv("TASKBOARD_CACHE_LOAD") != "1" {
		t.Skip("a load measurement: TASKBOARD_CACHE_LOAD=1")
	}
	dur := 10 * time.Second
	if s, err := strconv.Atoi(os.Getenv("TASKBOARD_CACHE_LOAD_SECONDS")); err == nil && s > 0 {
		dur = time.Duration(s) * time.Second
	}
	db := "postgres"
	if os.Getenv("TASKBOARD_CACHE_LOAD_DB") == "sqlite" {
		db = "sqlite"
	}
	const tasks = 1000
	type target struct {
		cached bool
		app    *covet.App
		srv    *httptest.Server
		bearer string
		ids    []int64
	}
	var targets []*target
	for _, cached := range []bool{false, true} {
		// Each its own database, seeded the same way: writes to one do not
		// make the other's cache stale.
		dsn := ""
		if db == "postgres" {
			dsn = ormtest.Postgres(t).DSN
		} else {
			dsn = ormtest.SQLite(t).DSN
		}
		app, err := NewApp(Config{DatabaseURL: dsn, Logger: slog.New(slog.DiscardHandler), NoResponseCache: !cached,
			WriteLimit: ratelimit.PerSecond(1000000), AllowedHosts: []string{"example.com", "127.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		covettest.Start(t, app)
		tg := &target{cached: cached, app: app, srv: httptest.NewServer(app)}
		t.Cleanup(tg.srv.Close)
		cl := covettest.New(t, app)
		_, tg.bearer = signUp(t, cl, "Loader", "loader@example.com")
		for i := range tasks {
			var tk Task
			cl.Post("/api/v1/tasks").Header("Authorization", tg.bearer).
				JSON(map[string]any{"title": fmt.Sprintf("Task %d", i), "description": "Load test task with a description of moderate length, as a real board has.",
					"priority": 1 + i%5, "tags": []string{"load", "tag" + strconv.Itoa(i%7)}}).Do().
				ExpectStatus(http.StatusCreated).Decode(&tk)
			tg.ids = append(tg.ids, tk.ID)
		}
		targets = append(targets, tg)
	}

	run := func(tg *target, writes float64) loadResult {
		var before cache.HTTPStats
		if tg.cached {
			before = responseStats(t, tg.app)
		}
		tr := &http.Transport{MaxIdleConnsPerHost: 64}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
		const workers = 16
		var mu sync.Mutex
		var lat []time.Duration
		res := loadResult{hitRatio: -1}
		stop := time.Now().Add(dur)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 42))
				z := rand.NewZipf(r, 1.1, 1, tasks-1)
				var mine []time.Duration
				errs := 0
				for time.Now().Before(stop) {
					var req *http.Request
					switch p := r.Float64(); {
					case p < writes:
						id := tg.ids[r.IntN(tasks)]
						req, _ = http.NewRequest(http.MethodPatch, tg.srv.URL+"/api/v1/tasks/"+itoa(id),
							bytes.NewReader(fmt.Appendf(nil, `{"priority": %d}`, 1+r.IntN(5))))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", tg.bearer)
					case p < 0.3:
						req, _ = http.NewRequest(http.MethodGet, tg.srv.URL+"/api/v1/tasks?limit=20&offset="+strconv.Itoa(20*int(z.Uint64()%10)), nil)
					default:
						req, _ = http.NewRequest(http.MethodGet, tg.srv.URL+"/api/v1/tasks/"+itoa(tg.ids[z.Uint64()]), nil)
					}
					start := time.Now()
					resp, err := hc.Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode >= 300 {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
					mine = append(mine, time.Since(start))
					if err != nil {
						errs++
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				res.errors += errs
				mu.Unlock()
			})
		}
		wg.Wait()
		slices.Sort(lat)
		res.requests = len(lat)
		res.rps = float64(len(lat)) / dur.Seconds()
		res.p50, res.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
		if tg.cached {
			after := responseStats(t, tg.app)
			if n := (after.Hits - before.Hits) + (after.Misses - before.Misses); n > 0 {
				res.hitRatio = float64(after.Hits-before.Hits) / float64(n)
			}
		}
		return res
	}

	for _, load := range []struct {
		name   string
		writes float64
	}{{"1 % writes", 0.01}, {"reads only", 0}} {
		// Warm both the same way, then measure off and on back to back.
		full := dur
		dur = max(dur/5, time.Second)
		for _, tg := range targets {
			run(tg, load.writes)
		}
		dur = full
		off, on := run(targets[0], load.writes), run(targets[1], load.writes)
		for _, r := range []loadResult{off, on} {
			if r.errors > 0 {
				t.Errorf("%s: %d of %d requests failed", load.name, r.errors, r.requests)
			}
		}
		t.Logf("%s (%s, %d workers, %s each): cache off %.0f req/s p50 %s p99 %s; on %.0f req/s p50 %s p99 %s; "+
			"throughput %.2f×, median %+.0f %%, hit ratio %.1f %%",
			load.name, db, 16, dur, off.rps, off.p50, off.p99, on.rps, on.p50, on.p99,
			on.rps/off.rps, 100*(float64(on.p50)/float64(off.p50)-1), 100*on.hitRatio)
	}
}
