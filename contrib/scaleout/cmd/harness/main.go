// Command harness starts the scale-out topology (HAProxy, taskboard
// instances, PostgreSQL, Redis), drives mixed traffic through it while
// injecting faults, checks the invariants and stops the topology.
//
//	go run ./contrib/scaleout/cmd/harness -duration 60s
//	go run ./contrib/scaleout/cmd/harness -duration 60s -rate 200 -faults=false   # load only
//	go run ./contrib/scaleout/cmd/harness -open -dir /tmp/scaleout -faults=false -rate 100 -duration 15s   # on a running topology
//
// After the traffic it checks the instances act as one application
// (scaleout.CrossCheck; -cross=false skips it). It exits 1 when an
// invariant failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
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
	cross := flag.Bool("cross", true, "after the traffic, check the instances act as one (rate limit, refresh tokens, cache, events, jobs)")
	flag.Parse()
	crossCheck = *cross

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *open {
		t, err := scaleout.Open(*dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(run(ctx, t, *duration, *rate, *users, *faults))
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
	os.Exit(code)
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

// crossCheck is the -cross flag.
var crossCheck bool
