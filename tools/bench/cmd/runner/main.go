// Command runner is the load benchmark: it builds every server, checks each
// one's conformance, then runs wrk against each in interleaved rounds (every
// endpoint, every server, one fresh server process per run), and writes a
// markdown report and a PNG chart.
//
// Each server runs pinned to CPU 0 (taskset -c 0, GOMAXPROCS=1, one worker
// for the Python servers) and wrk to CPU 1, on 127.0.0.1 only. Every run is
// bounded: wrk by its duration and timeout, the whole run by -deadline.
//
//	go run ./cmd/runner                       # full mode (about 21 minutes)
//	go run ./cmd/runner -rounds 1 -duration 1s -servers covet,httprouter   # a smoke run
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/covetgo/covet/tools/bench/conformance"
	"github.com/covetgo/covet/tools/bench/suite"
)

// Endpoint is one measured endpoint and how wrk requests it.
type Endpoint struct {
	Name, Path, Method, ContentType string
	Body                            []byte
	Headers                         map[string]string
}

func endpoints() []Endpoint {
	ct, up := conformance.UploadBody()
	return []Endpoint{
		{Name: "plaintext", Path: "/plaintext", Method: "GET"},
		{Name: "json", Path: "/json", Method: "GET"},
		{Name: "users", Path: "/users/42", Method: "GET"},
		{Name: "echo", Path: "/echo", Method: "POST", ContentType: "application/json", Body: conformance.EchoValid},
		{Name: "echo2", Path: "/echo2", Method: "POST", ContentType: "application/json", Body: conformance.Echo2Valid},
		{Name: "upload", Path: "/upload", Method: "POST", ContentType: ct, Body: up},
		{Name: "realistic", Path: "/api/users/42", Method: "GET", Headers: map[string]string{"Origin": conformance.Origin}},
	}
}

// Run is one measured wrk run.
type Run struct {
	Round    int     `json:"round"`
	Endpoint string  `json:"endpoint"`
	Server   string  `json:"server"`
	Requests int64   `json:"requests"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	Errors   int64   `json:"errors"`
	Non2xx   int64   `json:"non2xx"`
	HWMKiB   int64   `json:"vmhwm_kib"`
}

type config struct {
	servers, eps               []string
	rounds, conns              int
	duration, warmup, deadline time.Duration
	out                        string
	pin                        bool
}

func main() {
	var cfg config
	servers := flag.String("servers", "all", "servers, comma-separated, or all")
	eps := flag.String("endpoints", "all", "endpoints, comma-separated, or all")
	flag.IntVar(&cfg.rounds, "rounds", 5, "interleaved rounds")
	flag.DurationVar(&cfg.duration, "duration", 3*time.Second, "measured wrk run per server, endpoint and round")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "wrk warm-up before each measured run (discarded)")
	flag.IntVar(&cfg.conns, "conns", 64, "wrk connections")
	flag.DurationVar(&cfg.deadline, "deadline", 45*time.Minute, "bound on the whole run")
	flag.StringVar(&cfg.out, "out", "out", "output directory (report.md, chart.png, runs.jsonl, logs)")
	from := flag.String("from", "", "render report.md and chart.png from this runs.jsonl (and the conformance.md beside it) instead of running")
	flag.Parse()
	for _, s := range suite.Servers {
		if *servers == "all" || slices.Contains(strings.Split(*servers, ","), s.Name) {
			cfg.servers = append(cfg.servers, s.Name)
		}
	}
	for _, e := range endpoints() {
		if *eps == "all" || slices.Contains(strings.Split(*eps, ","), e.Name) {
			cfg.eps = append(cfg.eps, e.Name)
		}
	}
	cfg.pin = runtime.NumCPU() >= 2
	if *from != "" {
		if err := rerender(cfg, *from); err != nil {
			fmt.Fprintln(os.Stderr, "runner:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.deadline)
	defer cancel()
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed: run scripts/install-deps.sh")
	}
	dir, err := suite.ModuleDir()
	if err != nil {
		return err
	}
	out, err := filepath.Abs(cfg.out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "logs"), 0o755); err != nil {
		return err
	}
	bin := filepath.Join(out, "bin")
	logf("building %s", strings.Join(cfg.servers, ", "))
	if err := suite.Build(ctx, dir, bin, cfg.servers...); err != nil {
		return err
	}
	// Conformance before load; a server that fails or is missing is left out.
	var servers []string
	var conf []string
	for _, name := range cfg.servers {
		s, _ := suite.Lookup(name)
		if s.Python {
			if err := suite.PythonAvailable(s); err != nil {
				logf("%s: skipped: %v", name, err)
				conf = append(conf, fmt.Sprintf("| %s | %s | skipped: not installed |", name, s.Setup))
				continue
			}
		}
		ok, total, msg := check(ctx, s, dir, bin, out)
		conf = append(conf, fmt.Sprintf("| %s | %s | %s |", name, s.Setup, msg))
		logf("%s conformance: %s", name, msg)
		if ok == total {
			servers = append(servers, name)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "conformance.md"), []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	scripts, err := writeScripts(out)
	if err != nil {
		return err
	}
	runsPath := filepath.Join(out, "runs.jsonl")
	rf, err := os.Create(runsPath)
	if err != nil {
		return err
	}
	defer rf.Close()
	start := time.Now()
	var runs []Run
	for round := 1; round <= cfg.rounds; round++ {
		for _, ep := range cfg.eps {
			for _, name := range servers {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("deadline reached after %s: %w", time.Since(start).Round(time.Second), err)
				}
				r, err := measure(ctx, cfg, name, ep, round, dir, bin, out, scripts[ep])
				if err != nil {
					logf("round %d %s %s: %v", round, ep, name, err)
					continue
				}
				runs = append(runs, r)
				b, _ := json.Marshal(r)
				fmt.Fprintf(rf, "%s\n", b)
				logf("round %d/%d %-9s %-10s %8.0f req/s  p99 %6.2f ms  %5.1f MiB  errors %d non-2xx %d",
					round, cfg.rounds, ep, name, r.RPS, r.P99ms, float64(r.HWMKiB)/1024, r.Errors, r.Non2xx)
			}
		}
	}
	wall := time.Since(start).Round(time.Second)
	if err := os.WriteFile(filepath.Join(out, "wall.txt"), []byte(wall.String()+"\n"), 0o644); err != nil {
		return err
	}
	report := renderReport(cfg, servers, runs, conf, wall)
	if err := os.WriteFile(filepath.Join(out, "report.md"), []byte(report), 0o644); err != nil {
		return err
	}
	if err := chart(cfg, servers, runs, filepath.Join(out, "chart.png")); err != nil {
		return err
	}
	fmt.Print(report)
	logf("wrote %s, %s and %s", filepath.Join(out, "report.md"), filepath.Join(out, "chart.png"), runsPath)
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func start(s suite.Server, cfg config, dir, bin, out, tag string) (*suite.Process, error) {
	addr, err := suite.FreeAddr()
	if err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(filepath.Join(out, "logs", s.Name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	fmt.Fprintf(lf, "--- %s %s\n", time.Now().Format(time.RFC3339), tag)
	cpu := -1
	if cfg.pin {
		cpu = 0
	}
	return s.Start(suite.StartOptions{BinDir: bin, ModuleDir: dir, Addr: addr, CPU: cpu, Log: lf})
}

func check(ctx context.Context, s suite.Server, dir, bin, out string) (ok, total int, msg string) {
	p, err := start(s, config{}, dir, bin, out, "conformance")
	if err != nil {
		return 0, 1, "FAILED to start: " + err.Error()
	}
	defer p.Stop()
	var failed []string
	rs := conformance.Run("http://" + p.Addr)
	for _, r := range rs {
		if r.Err == nil {
			ok++
		} else {
			failed = append(failed, r.Name+": "+r.Err.Error())
		}
	}
	if len(failed) > 0 {
		return ok, len(rs), fmt.Sprintf("FAILED %d/%d: %s", len(failed), len(rs), strings.Join(failed, "; "))
	}
	return ok, len(rs), fmt.Sprintf("ok (%d/%d checks)", ok, len(rs))
}

// writeScripts writes one wrk Lua script per endpoint; each prints a
// machine-readable BENCHRESULT line when wrk is done.
func writeScripts(out string) (map[string]string, error) {
	paths := map[string]string{}
	for _, e := range endpoints() {
		var b strings.Builder
		fmt.Fprintf(&b, "wrk.method = %q\n", e.Method)
		if e.ContentType != "" {
			fmt.Fprintf(&b, "wrk.headers[\"Content-Type\"] = %q\n", e.ContentType)
		}
		for k, v := range e.Headers {
			fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", k, v)
		}
		if e.Body != nil {
			body := filepath.Join(out, "wrk-"+e.Name+".body")
			if err := os.WriteFile(body, e.Body, 0o644); err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "local f = assert(io.open(%q, \"rb\"))\nwrk.body = f:read(\"*a\")\nf:close()\n", body)
		}
		b.WriteString(`done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCHRESULT %d %d %d %d %.1f %.1f\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99)))
end
`)
		p := filepath.Join(out, "wrk-"+e.Name+".lua")
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
		paths[e.Name] = p
	}
	return paths, nil
}

func wrk(ctx context.Context, cfg config, script, url string, d time.Duration) (Run, error) {
	args := []string{"wrk", "-t1", "-c" + strconv.Itoa(cfg.conns), "-d" + strconv.Itoa(max(1, int(d.Seconds()))) + "s",
		"--timeout", "10s", "--latency", "-s", script, url}
	if cfg.pin {
		args = append([]string{"taskset", "-c", "1"}, args...)
	}
	wctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(wctx, args[0], args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Run{}, fmt.Errorf("wrk: %v: %s", err, stderr.String())
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 7 && f[0] == "BENCHRESULT" {
			var r Run
			r.Requests, _ = strconv.ParseInt(f[1], 10, 64)
			us, _ := strconv.ParseFloat(f[2], 64)
			r.Seconds = us / 1e6
			r.Errors, _ = strconv.ParseInt(f[3], 10, 64)
			r.Non2xx, _ = strconv.ParseInt(f[4], 10, 64)
			p50, _ := strconv.ParseFloat(f[5], 64)
			p99, _ := strconv.ParseFloat(f[6], 64)
			r.P50ms, r.P99ms = p50/1000, p99/1000
			if r.Seconds > 0 {
				r.RPS = float64(r.Requests) / r.Seconds
			}
			return r, nil
		}
	}
	return Run{}, fmt.Errorf("wrk printed no result: %s", stdout.String())
}

func measure(ctx context.Context, cfg config, name, ep string, round int, dir, bin, out, script string) (Run, error) {
	s, _ := suite.Lookup(name)
	p, err := start(s, cfg, dir, bin, out, fmt.Sprintf("round %d %s", round, ep))
	if err != nil {
		return Run{}, err
	}
	defer p.Stop()
	var path string
	for _, e := range endpoints() {
		if e.Name == ep {
			path = e.Path
		}
	}
	url := "http://" + p.Addr + path
	if cfg.warmup > 0 {
		if _, err := wrk(ctx, cfg, script, url, cfg.warmup); err != nil {
			return Run{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	r, err := wrk(ctx, cfg, script, url, cfg.duration)
	if err != nil {
		return Run{}, err
	}
	r.HWMKiB = p.VmHWM()
	r.Round, r.Endpoint, r.Server = round, ep, name
	return r, nil
}

// rerender writes report.md and chart.png into cfg.out from a runs.jsonl
// file, the conformance.md and wall.txt beside it, and the run's flags.
func rerender(cfg config, from string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var runs []Run
	seen := map[string]bool{}
	var servers []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r Run
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("%s: %w", from, err)
		}
		runs = append(runs, r)
		if !seen[r.Server] {
			seen[r.Server] = true
		}
	}
	for _, s := range suite.Servers {
		if seen[s.Name] {
			servers = append(servers, s.Name)
		}
	}
	dir := filepath.Dir(from)
	var conf []string
	if c, err := os.ReadFile(filepath.Join(dir, "conformance.md")); err == nil {
		conf = strings.Split(strings.TrimSpace(string(c)), "\n")
	}
	var wall time.Duration
	if w, err := os.ReadFile(filepath.Join(dir, "wall.txt")); err == nil {
		wall, _ = time.ParseDuration(strings.TrimSpace(string(w)))
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	report := renderReport(cfg, servers, runs, conf, wall)
	if err := os.WriteFile(filepath.Join(cfg.out, "report.md"), []byte(report), 0o644); err != nil {
		return err
	}
	return chart(cfg, servers, runs, filepath.Join(cfg.out, "chart.png"))
}
