// Command pagebench is the load run of the page benchmark (package page):
// the same server-rendered page served end to end by Covet + plugins/tmpl
// (html/template), raw html/template on net/http, Covet + an a-h/templ
// component, and Flask + Jinja2 on gunicorn (one sync worker; one gthread
// worker with 4 threads), measured side by side in interleaved rounds.
//
// Each run gets a fresh server pinned to CPU 0 (GOMAXPROCS=1, one gunicorn
// worker), checks its page, warms it up with wrk, then runs wrk (-t1,
// pinned to CPU 1) for -duration. Reported per server: req/s, and the CPU
// time the server's process tree used per request (user + system, from
// /proc, so the kernel's share of each request is in it too), with each
// figure's ratio to the Flask servers measured in the same round.
//
//	go run ./cmd/pagebench -rounds 3 -duration 5s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/covetgo/covet/tools/bench/page"
	"github.com/covetgo/covet/tools/bench/suite"
)

type run struct {
	server     string
	requests   int64
	reqPerSec  float64
	cpuPerReq  time.Duration
	non2xx     int64
	sockErrors string
}

func main() {
	servers := flag.String("servers", "pagecovet,pageraw,pagetempl,flaskpage,flaskpage-gthread", "servers, comma-separated")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	duration := flag.Duration("duration", 5*time.Second, "measured wrk run per server and round")
	warmup := flag.Duration("warmup", time.Second, "wrk warm-up before each measured run (discarded)")
	conns := flag.Int("conns", 64, "wrk connections")
	out := flag.String("out", "/tmp/covet-pagebench", "output directory (binaries, server logs)")
	flag.Parse()
	check(run0(*servers, *rounds, *duration, *warmup, *conns, *out))
}

func run0(servers string, rounds int, duration, warmup time.Duration, conns int, out string) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed: run scripts/install-deps.sh")
	}
	dir, err := suite.ModuleDir()
	if err != nil {
		return err
	}
	names := strings.Split(servers, ",")
	var list []suite.Server
	for _, n := range names {
		s, ok := suite.Lookup(n)
		if !ok {
			return fmt.Errorf("unknown server %q", n)
		}
		if s.Python {
			if err := suite.PythonAvailable(s); err != nil {
				return err
			}
		}
		list = append(list, s)
	}
	bin := filepath.Join(out, "bin")
	if err := suite.Build(context.Background(), dir, bin, names...); err != nil {
		return err
	}
	cpus := suite.NumCPU()
	serverCPU, wrkCPU := 0, 1
	if cpus < 2 {
		serverCPU, wrkCPU = -1, -1
	}
	var all [][]run
	for r := 1; r <= rounds; r++ {
		var round []run
		for _, s := range list {
			res, err := measure(s, dir, bin, out, serverCPU, wrkCPU, duration, warmup, conns)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", r, s.Name, err)
			}
			fmt.Fprintf(os.Stderr, "round %d %-18s %8.0f req/s  %6.1f µs CPU/request  (%d requests, non-2xx %d%s)\n",
				r, s.Name, res.reqPerSec, float64(res.cpuPerReq.Nanoseconds())/1e3, res.requests, res.non2xx, res.sockErrors)
			round = append(round, res)
		}
		all = append(all, round)
	}
	fmt.Print(report(all, names, rounds, duration, conns))
	return nil
}

func measure(s suite.Server, dir, bin, out string, serverCPU, wrkCPU int, duration, warmup time.Duration, conns int) (run, error) {
	addr, err := suite.FreeAddr()
	if err != nil {
		return run{}, err
	}
	logf, err := os.Create(filepath.Join(out, s.Name+".log"))
	if err != nil {
		return run{}, err
	}
	defer logf.Close()
	p, err := s.Start(suite.StartOptions{BinDir: bin, ModuleDir: dir, Addr: addr, CPU: serverCPU, Log: logf, ReadyTimeout: 60 * time.Second})
	if err != nil {
		return run{}, err
	}
	defer p.Stop()
	url := "http://" + addr + page.Path
	if err := checkPage(url); err != nil {
		return run{}, err
	}
	if _, err := wrk(url, wrkCPU, warmup, conns); err != nil {
		return run{}, fmt.Errorf("warm-up: %w", err)
	}
	c0 := p.CPUTime()
	res, err := wrk(url, wrkCPU, duration, conns)
	if err != nil {
		return run{}, err
	}
	c1 := p.CPUTime()
	res.server = s.Name
	if res.requests > 0 {
		res.cpuPerReq = (c1 - c0) / time.Duration(res.requests)
	}
	return res, nil
}

func checkPage(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return page.Check(string(body))
}

var (
	reRequests = regexp.MustCompile(`(\d+) requests in`)
	reRate     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reSocket   = regexp.MustCompile(`Socket errors: [^\n]+`)
)

func wrk(url string, cpu int, d time.Duration, conns int) (run, error) {
	args := []string{"wrk", "-t1", "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(max(1, int(d.Seconds()))) + "s", "--timeout", "10s", url}
	if cpu >= 0 {
		args = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	b, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return run{}, fmt.Errorf("wrk: %v\n%s", err, b)
	}
	o := string(b)
	var r run
	m := reRequests.FindStringSubmatch(o)
	n := reRate.FindStringSubmatch(o)
	if m == nil || n == nil {
		return run{}, fmt.Errorf("wrk output not understood:\n%s", o)
	}
	r.requests, _ = strconv.ParseInt(m[1], 10, 64)
	r.reqPerSec, _ = strconv.ParseFloat(n[1], 64)
	if m := reNon2xx.FindStringSubmatch(o); m != nil {
		r.non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if s := reSocket.FindString(o); s != "" {
		r.sockErrors = ", " + s
	}
	if r.non2xx > 0 {
		return r, fmt.Errorf("%d non-2xx answers", r.non2xx)
	}
	return r, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// report formats the rounds: per server the median and range of req/s and
// of CPU per request, and the medians of the per-round ratios to the Flask
// servers (req/s: server over Flask; CPU: Flask over server, so both read
// "times better than Flask").
func report(all [][]run, names []string, rounds int, duration time.Duration, conns int) string {
	get := func(round []run, name string) (run, bool) {
		for _, r := range round {
			if r.server == name {
				return r, true
			}
		}
		return run{}, false
	}
	var refs []string
	for _, n := range names {
		if strings.HasPrefix(n, "flask") {
			refs = append(refs, n)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d interleaved rounds, wrk -t1 -c%d, %s measured per run, server pinned to CPU 0 (GOMAXPROCS=1 / one gunicorn worker).\n\n", rounds, conns, duration)
	b.WriteString("| server | req/s median | req/s min–max | CPU µs/request median | CPU µs min–max |")
	for _, ref := range refs {
		fmt.Fprintf(&b, " req/s × %s | CPU: %s ÷ server |", ref, ref)
	}
	b.WriteString("\n|---|--:|--:|--:|--:|")
	for range refs {
		b.WriteString("--:|--:|")
	}
	b.WriteString("\n")
	for _, n := range names {
		var rps, cpu []float64
		ratios := map[string][2][]float64{}
		for _, round := range all {
			r, ok := get(round, n)
			if !ok {
				continue
			}
			rps = append(rps, r.reqPerSec)
			cpu = append(cpu, float64(r.cpuPerReq.Nanoseconds())/1e3)
			for _, ref := range refs {
				f, ok := get(round, ref)
				if !ok || f.reqPerSec == 0 || r.cpuPerReq == 0 {
					continue
				}
				x := ratios[ref]
				x[0] = append(x[0], r.reqPerSec/f.reqPerSec)
				x[1] = append(x[1], float64(f.cpuPerReq)/float64(r.cpuPerReq))
				ratios[ref] = x
			}
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.0f–%.0f | %.1f | %.1f–%.1f |", n, median(rps), slices.Min(rps), slices.Max(rps),
			median(cpu), slices.Min(cpu), slices.Max(cpu))
		for _, ref := range refs {
			x := ratios[ref]
			fmt.Fprintf(&b, " %.2f | %.2f |", median(x[0]), median(x[1]))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
