// Command harness starts the scale-out topology (HAProxy, taskboard
// instances, PostgreSQL, Redis), drives mixed traffic through it while
// injecting faults, checks the invariants and stops the topology.
//
//	go run ./contrib/scaleout/cmd/harness -duration 60s
//	go run ./contrib/scaleout/cmd/harness -duration 60s -rate 200 -faults=false   # load only
//	go run ./contrib/scaleout/cmd/harness -compare covet-min,gin,fastapi -search -duration 15s   # highest sustained rate of each, within 5 %
//	go run ./contrib/scaleout/cmd/harness -open -dir /tmp/scaleout -faults=false -rate 100 -duration 15s   # on a running topology
//
// After the traffic it checks the instances act as one application
// (scaleout.CrossCheck; -cross=false skips it). It exits 1 when an
// invariant failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/covetgo/covet/contrib/scaleout"
)

func main() {
	duration := flag.Duration("duration", 60*time.Second, "how long the traffic runs")
	rate := flag.Float64("rate", 50, "requests per second")
	instances := flag.Int("instances", 3, "taskboard instances")
	port := flag.Int("port", 18080, "the load balancer's port (instances on the next ones, Redis on +100)")
	dir := flag.String("dir", "/tmp/scaleout", "state directory")
	faults := flag.Bool("faults", true, "inject faults (kill, rolling restart, PostgreSQL terminate, Redis pause and restart)")
	keep := flag.Bool("keep", false, "leave the topology running afterwards (stop it with scripts/down.sh)")
	users := flag.Int("users", 0, "signed-in clients (default: 8, or one per 5 writes/s)")
	open := flag.Bool("open", false, "use the topology already running in -dir (started by scripts/up.sh) and leave it running")
	compare := flag.String("compare", "", "compare apps under the same load, each on its own topology in turn, faults off: e.g. covet,gin,fastapi")
	rates := flag.String("rates", "50,100,200,400", "the offered rates -compare runs, each for -duration")
	maxP99 := flag.Duration("p99", 100*time.Millisecond, "-compare: a rate is sustained with p99 under this and errors under 0.1 %")
	reuse := flag.String("reuse", "safe", "-compare: HAProxy's http-reuse towards the instances (safe: keep-alive, as in production; never: a connection per request, the fault runs' setting)")
	cross := flag.Bool("cross", true, "after the traffic, check the instances act as one (rate limit, refresh tokens, cache, events, jobs)")
	search := flag.Bool("search", false, "-compare: instead of the -rates ladder, search each app's highest sustained rate (bracketing from -start, then bisection to -tolerance, then a confirmatory repeat)")
	start := flag.Float64("start", 400, "-search: the first rate probed")
	tolerance := flag.Float64("tolerance", 0.05, "-search: stop when the lowest failing rate is within this fraction above the highest sustained one")
	settle := flag.Duration("settle", 5*time.Second, "-search: pause between probes (the database's and the apps' backlog drains)")
	warmup := flag.Duration("warmup", 10*time.Second, "-search: traffic at a quarter of -start before the first probe, not counted (pools, caches, query plans and the Go runtime warm up on a fresh topology; 0: none)")
	cpuProfile := flag.String("cpuprofile", "", "write the harness's own CPU profile to this file (go tool pprof)")
	procs := flag.Int("procs", 0, "the harness's own GOMAXPROCS (set in the process, not the environment: the instances' stays theirs); 0: Go's default")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// os.Exit skips deferred calls: exit stops the profile first.
		exit = func(code int) { pprof.StopCPUProfile(); _ = f.Close(); os.Exit(code) }
	}
	crossCheck = *cross

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *compare != "" && *search {
		opts := scaleout.SearchOptions{Start: *start, Tolerance: *tolerance}
		exit(runSearch(ctx, strings.Split(*compare, ","), *dir, *port, *instances, *duration, *maxP99, *reuse, opts, *settle, *warmup))
	}
	if *compare != "" {
		exit(runCompare(ctx, strings.Split(*compare, ","), *rates, *dir, *port, *instances, *duration, *maxP99, *reuse))
	}
	if *open {
		t, err := scaleout.Open(*dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		exit(run(ctx, t, *duration, *rate, *users, *faults))
	}
	fmt.Fprintln(os.Stderr, "harness: starting the topology (up.sh) ...")
	t, err := scaleout.Up(ctx, scaleout.UpOptions{Dir: *dir, Port: *port, Instances: *instances})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := run(ctx, t, *duration, *rate, *users, *faults)
	if !*keep {
		if err := t.Down(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	exit(code)
}

func run(ctx context.Context, t *scaleout.Topology, d time.Duration, rate float64, users int, faults bool) int {
	cfg := scaleout.Config{Duration: d, Rate: rate, Users: users}
	if cfg.Users == 0 {
		cfg.Users = max(8, int(rate*0.2/5)+1) // writes stay under the per-user limit (10/s)
	}
	if faults {
		cfg.Faults = scaleout.Schedule(d, t.Instances)
	}
	fmt.Fprintf(os.Stderr, "harness: %s of traffic at %.0f/s through %s, %d faults ...\n", d, rate, t.LB, len(cfg.Faults))
	res, err := scaleout.Run(ctx, t, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rep, err := scaleout.Check(ctx, t, res, scaleout.Bounds{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rep.Print(os.Stdout)
	code := 0
	if len(rep.Problems) > 0 {
		code = 1
	}
	if crossCheck {
		cr, err := scaleout.CrossCheck(ctx, t)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		for _, l := range cr.Lines {
			fmt.Println("cross-instance:", l)
		}
		for _, p := range cr.Problems {
			fmt.Println("FAIL cross-instance:", p)
		}
		if len(cr.Problems) > 0 {
			code = 1
		}
	}
	return code
}

// perRequest is d per request in milliseconds.
func perRequest(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return d.Seconds() * 1000 / float64(n)
}

// exit ends the process (and the -cpuprofile profile).
var exit = os.Exit

// crossCheck is the -cross flag.
var crossCheck bool

// runCompare runs the same JSON API load (10 % task reads, 20 % creates,
// the rest lists; no logins: the taskboard hashes passwords with argon2id,
// the peers with SHA-256) at each rate against each app's topology in turn
// and prints the figures, the highest sustained rate of each and the ratios
// of Covet's to each peer's.
//
// Beside each step it prints the CPU time each component of the topology
// used per answered request (the app's processes, the database's backends,
// Redis, HAProxy and the harness itself: scaleout.Topology.Sample over the
// traffic), the PostgreSQL connections opened and the load average.
func runCompare(ctx context.Context, apps []string, rateList, dir string, port, instances int, d, maxP99 time.Duration, reuse string) int {
	var rs []float64
	for _, f := range strings.Split(rateList, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			fmt.Fprintf(os.Stderr, "harness: -rates: %q is not a rate\n", f)
			return 2
		}
		rs = append(rs, r)
	}
	best := map[string]float64{}
	bestErr := map[string]float64{}
	peak := map[string]float64{}
	for _, app := range apps {
		fmt.Fprintf(os.Stderr, "harness: %s: starting the topology ...\n", app)
		t, err := scaleout.Up(ctx, scaleout.UpOptions{Dir: dir + "-" + app, Port: port, Instances: instances, App: app, HTTPReuse: reuse})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		for _, r := range rs {
			s, _, err := step(ctx, t, app, r, d, maxP99)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				_ = t.Down(context.Background())
				return 2
			}
			if s.Sustained(0.001, maxP99) {
				best[app] = max(best[app], s.Answered)
			}
			peak[app] = max(peak[app], s.Answered)
			if s.Sustained(0.001, time.Hour) {
				bestErr[app] = max(bestErr[app], s.Answered)
			}
		}
		if err := t.Down(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	fmt.Printf("highest sustained rate (errors < 0.1 %%, p99 < %s; in brackets: errors < 0.1 %% alone; then the most answered in a step):\n", maxP99)
	for _, app := range apps {
		fmt.Printf("  %-9s %7.1f/s  [%7.1f/s]  peak %7.1f/s\n", app, best[app], bestErr[app], peak[app])
	}
	// Each Covet app (the taskboard "covet", the minimal "covet-min")
	// against each peer.
	for _, c := range apps {
		if !strings.HasPrefix(c, "covet") {
			continue
		}
		for _, app := range apps {
			if strings.HasPrefix(app, "covet") {
				continue
			}
			ratio := func(m map[string]float64) string {
				if m[app] == 0 {
					return "n/a (the peer sustained none of the rates)"
				}
				return fmt.Sprintf("%.2f", m[c]/m[app])
			}
			fmt.Printf("%s ÷ %s: %s  [%s]\n", c, app, ratio(best), ratio(bestErr))
		}
	}
	return 0
}

// step runs one fresh step of the comparison's load at rate against t and
// prints its figures and each component's CPU time per answered request.
// due is the requests the rate asks for over the generator's sending window
// (the traffic's duration less the CPU sample taken at its start).
func step(ctx context.Context, t *scaleout.Topology, app string, r float64, d, maxP99 time.Duration) (s scaleout.Summary, due float64, err error) {
	var before, after scaleout.Usage
	var sampleErr error
	var began time.Time
	stopAnalyze := func() {}
	cfg := scaleout.Config{Duration: d, Rate: r, Users: max(8, int(r*0.2/5)+1), NoLive: true,
		// Lists ask the first keyset page (no total): the
		// peers' list, 20 newest rows without a count.
		Mix: scaleout.Mix{Get: 10, Create: 20, KeysetList: true},
		// A quarter second of requests in flight: beyond that the
		// p99 bound is lost anyway, and "not sent" says the app,
		// not the generator, fell behind.
		MaxInFlight: max(256, int(r/4)),
		OnTraffic: func(begin bool) {
			if begin {
				stopAnalyze = analyzeLikeAutovacuum(ctx, t)
			} else {
				stopAnalyze()
			}
			u, err := t.Sample(ctx)
			sampleErr = errors.Join(sampleErr, err)
			if begin {
				before = u
				began = time.Now() // the generator starts now
			} else {
				after = u
			}
		}}
	res, err := scaleout.Run(ctx, t, cfg)
	if err != nil {
		return scaleout.Summary{}, 0, err
	}
	s = scaleout.Summarize(res)
	due = r * res.Start.Add(d).Sub(began).Seconds()
	fmt.Printf("%-9s offered %6.0f/s: answered %7.1f/s, %5d requests, %4d failed (%.3f%%), %d not sent, p50 %s, p99 %s, sustained %v\n",
		app, r, s.Answered, s.Requests, s.Failed, 100*s.ErrorRate(), s.Dropped, s.P50.Round(100*time.Microsecond), s.P99.Round(100*time.Microsecond), s.Sustained(0.001, maxP99))
	if sampleErr != nil {
		fmt.Fprintln(os.Stderr, "harness: CPU sample:", sampleErr)
	}
	cpu, sessions := after.Since(before)
	fmt.Printf("%-9s   CPU per answered request:", "")
	for _, comp := range scaleout.Components {
		fmt.Printf(" %s %.3f ms", comp, perRequest(cpu[comp], s.Requests))
	}
	fmt.Printf("; PostgreSQL connections opened %d; load average %.1f → %.1f\n", sessions, before.Load, after.Load)
	return s, due, nil
}

// runSearch finds, for each app on its own topology in turn, the highest
// rate it sustains (errors < 0.1 %, p99 < maxP99, every request sent)
// within opts.Tolerance (scaleout.Search: bracketing, bisection, then a
// confirmatory repeat of the rate found), each probe a fresh step of d
// after a pause of settle, and prints the rates and the ratios of each
// Covet app's to each peer's.
func runSearch(ctx context.Context, apps []string, dir string, port, instances int, d, maxP99 time.Duration, reuse string, opts scaleout.SearchOptions, settle, warmup time.Duration) int {
	found := map[string]scaleout.SearchResult{}
	for _, app := range apps {
		fmt.Fprintf(os.Stderr, "harness: %s: starting the topology ...\n", app)
		t, err := scaleout.Up(ctx, scaleout.UpOptions{Dir: dir + "-" + app, Port: port, Instances: instances, App: app, HTTPReuse: reuse})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		// A fresh topology's first seconds (connection pools filling, empty
		// caches, unplanned queries) would fail whichever rate is probed
		// first: warm it up at a quarter of the first rate, uncounted.
		if warmup > 0 {
			fmt.Printf("%-9s warm-up (not counted):\n", app)
			if _, _, err := step(ctx, t, app, max(opts.Start/4, 10), warmup, maxP99); err != nil {
				fmt.Fprintln(os.Stderr, err)
				_ = t.Down(context.Background())
				return 2
			}
		}
		first := true
		res, err := scaleout.Search(ctx, opts, func(ctx context.Context, rate float64) (scaleout.Probe, error) {
			if !first {
				select {
				case <-time.After(settle):
				case <-ctx.Done():
					return scaleout.Probe{}, ctx.Err()
				}
			}
			first = false
			s, due, err := step(ctx, t, app, rate, d, maxP99)
			ok := s.Sustained(0.001, maxP99)
			// A rate the generator did not offer (starved on a loaded
			// machine, it sent fewer requests than the rate over its
			// sending window) is not a rate the app was shown to sustain.
			if sent := float64(s.Requests + s.Dropped); ok && sent < 0.98*due {
				fmt.Printf("%-9s   counted as failed: the generator sent %.0f requests of the %.0f due\n", "", sent, due)
				ok = false
			}
			return scaleout.Probe{OK: ok, Summary: s}, err
		})
		if derr := t.Down(context.Background()); derr != nil {
			fmt.Fprintln(os.Stderr, derr)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		found[app] = res
	}
	fmt.Printf("highest sustained rate (errors < 0.1 %%, all sent, p99 < %s), searched to %.0f %%:\n", maxP99, 100*opts.Tolerance)
	for _, app := range apps {
		r := found[app]
		above := "none failed up to the search's maximum"
		if r.Above > 0 {
			above = fmt.Sprintf("failed at %.0f/s", r.Above)
		}
		note := ""
		if !r.Precise {
			note = "; NOT narrowed to the tolerance (probe budget)"
		}
		confirm := "not repeated"
		if r.Rate > 0 {
			last := r.Probes[len(r.Probes)-1].Summary
			confirm = fmt.Sprintf("repeat %s (p99 %s, %d failed, %d not sent)", map[bool]string{true: "held", false: "FAILED"}[r.Confirmed],
				last.P99.Round(100*time.Microsecond), last.Failed, last.Dropped)
		}
		fmt.Printf("  %-9s %6.0f/s  (%s; %d probes; %s%s)\n", app, r.Rate, above, len(r.Probes), confirm, note)
	}
	for _, c := range apps {
		if !strings.HasPrefix(c, "covet") {
			continue
		}
		for _, app := range apps {
			if strings.HasPrefix(app, "covet") {
				continue
			}
			if found[app].Rate == 0 {
				fmt.Printf("%s ÷ %s: n/a (the peer sustained no rate)\n", c, app)
				continue
			}
			fmt.Printf("%s ÷ %s: %.2f\n", c, app, found[c].Rate/found[app].Rate)
		}
	}
	return 0
}

// analyzeLikeAutovacuum runs ANALYZE on the run's database every 5 s until
// the returned stop is called, when the server's autovacuum is off (as on
// the shared development server): without statistics PostgreSQL plans the
// taskboard's list (its soft-delete filter, deleted_at IS NULL, estimated at
// 0.5 % of the rows) as a scan and sort of the whole table, a cost no
// production server with autovacuum pays, and the peers' unfiltered
// ORDER BY id LIMIT never does. With autovacuum on it does nothing.
func analyzeLikeAutovacuum(ctx context.Context, t *scaleout.Topology) (stop func()) {
	if on, err := t.SQL(ctx, "SHOW autovacuum"); err != nil || strings.TrimSpace(on) != "off" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			if _, err := t.SQL(ctx, "ANALYZE"); err != nil && ctx.Err() == nil {
				fmt.Fprintln(os.Stderr, "harness: ANALYZE:", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
