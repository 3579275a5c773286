// Package callgrind counts the instructions a benchmark server executes per
// request, with valgrind's callgrind tool: a number that, unlike req/s on a
// shared machine, does not move with the load of the machine, so CI can gate
// on it.
//
// The server runs under callgrind with --dump-before=*shared.Mark. A client
// on one keep-alive connection sends a warm-up, then N requests, then 2N
// requests, and between phases asks the server's control port for a mark (a
// full GC, then shared.Mark, where callgrind dumps its counters). The
// instructions per request are (I(2N) − I(N)) / N: start-up, the warm-up and
// the cost of a mark cancel out. Every thread is counted (the runtime's GC
// workers and the scavenger included), as the cost of serving is.
package callgrind

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/covetgo/covet/tools/bench/conformance"
	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/covetgo/covet/tools/bench/suite"
)

// GODEBUG is the GODEBUG setting of every Go binary run under valgrind.
//
//   - asyncpreemptoff=1: callgrind mishandles the signals Go uses to preempt
//     goroutines.
//   - cpu.rdtscp=off: valgrind's synthetic CPUID reports RDTSCP even where
//     the host CPU lacks it (KVM guests whose /proc/cpuinfo has no rdtscp),
//     and valgrind 3.19 cannot execute it ("vex amd64->IR: unhandled
//     instruction bytes: 0xF 0x1 0xF9"). The runtime reads the cycle counter
//     with RDTSCP in cputicks, which a contended runtime lock calls (sysmon
//     does, seconds into a run), so the process dies with SIGILL. Turning
//     the feature off makes the runtime use LFENCE+RDTSC, which valgrind
//     runs everywhere; the instruction counts stay comparable (the cycle
//     counter is read a handful of times per run).
const GODEBUG = "asyncpreemptoff=1,cpu.rdtscp=off"

// Endpoint is a request whose cost is measured.
type Endpoint struct {
	// Name is the endpoint's short name (plaintext, json, users, echo,
	// upload, realistic).
	Name string
	// Request is the raw HTTP/1.1 request, sent as is (keep-alive).
	Request []byte
	// Status is the status every answer must have.
	Status int
	// N is the number of requests of the first measured phase; the second
	// sends 2N.
	N int
	// Window is the number of requests sent at once (pipelined).
	Window int
}

func rawRequest(method, target string, headers []string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: covet-bench\r\nAccept: */*\r\n", method, target)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	if body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// Endpoints returns the measured endpoints, with request counts chosen so
// that a GC cycle more or less in a phase moves the result by well under 1 %.
func Endpoints() []Endpoint {
	ct, up := conformance.UploadBody()
	return []Endpoint{
		{Name: "plaintext", Request: rawRequest("GET", "/plaintext", nil, nil), Status: 200, N: 2000, Window: 16},
		{Name: "json", Request: rawRequest("GET", "/json", nil, nil), Status: 200, N: 2000, Window: 16},
		{Name: "users", Request: rawRequest("GET", "/users/42", nil, nil), Status: 200, N: 2000, Window: 16},
		{Name: "echo", Request: rawRequest("POST", "/echo", []string{"Content-Type: application/json"}, conformance.EchoValid), Status: 200, N: 1000, Window: 8},
		{Name: "echo2", Request: rawRequest("POST", "/echo2", []string{"Content-Type: application/json"}, conformance.Echo2Valid), Status: 200, N: 1000, Window: 8},
		{Name: "upload", Request: rawRequest("POST", "/upload", []string{"Content-Type: " + ct}, up), Status: 200, N: 40, Window: 1},
		{Name: "realistic", Request: rawRequest("GET", "/api/users/42", []string{"Origin: " + conformance.Origin}, nil), Status: 200, N: 1000, Window: 8},
		// The page benchmark's servers only (pagecovet, pageraw, pagetempl):
		// a ~12 KB server-rendered page (package page).
		{Name: "page", Request: rawRequest("GET", "/page", nil, nil), Status: 200, N: 200, Window: 4},
	}
}

// EndpointByName returns the endpoint named name.
func EndpointByName(name string) (Endpoint, bool) {
	for _, e := range Endpoints() {
		if e.Name == name {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Options configure a measurement.
type Options struct {
	// BinDir holds the built servers (suite.Build).
	BinDir string
	// OutDir receives callgrind's dumps and the server log.
	OutDir string
	// Warmup is the number of requests before the first measured phase
	// (default: a quarter of the endpoint's N, at least 10).
	Warmup int
	// Progress, when set, is told of each finished phase.
	Progress func(msg string)
	// Extra are more valgrind options.
	Extra []string
	// Timeout bounds the whole measurement of one server (default 10 min).
	Timeout time.Duration
	// GOGC is the server's GOGC (default "off": a full GC at every mark
	// only, see the package README). With "100" the collections a real
	// server runs while serving are counted too, which matters for code
	// that allocates much (html/template).
	GOGC string
}

// Result is the cost of one endpoint on one server.
type Result struct {
	// Server and Endpoint name what was measured.
	Server, Endpoint string
	// N is the request count of the first phase.
	N int
	// IN and I2N are the instructions of the N and 2N phases, without the
	// runtime's sysmon thread (see sysmonCost).
	IN, I2N int64
	// PerRequest is (I2N − IN) / N.
	PerRequest float64
}

// Measure runs server under callgrind once and measures every endpoint in
// eps, one after the other on the same process and connection.
//
// A peer's name may end in "+timeouts" (httprouter+timeouts): the same
// binary, served with Covet's server timeouts instead of its default
// configuration (shared.TimeoutsEnv).
func Measure(ctx context.Context, server string, eps []Endpoint, o Options) ([]Result, error) {
	binName, variant, _ := strings.Cut(server, "+")
	s, ok := suite.Lookup(binName)
	if !ok || s.Python {
		return nil, fmt.Errorf("callgrind: %q is not a Go server", server)
	}
	if o.GOGC == "" {
		o.GOGC = "off"
	}
	env := []string{"GODEBUG=" + GODEBUG, "GOGC=" + o.GOGC}
	switch variant {
	case "":
	case "timeouts":
		env = append(env, shared.TimeoutsEnv+"=covet")
	default:
		return nil, fmt.Errorf("callgrind: unknown server variant %q in %q (want +timeouts)", variant, server)
	}
	if o.Warmup == 0 {
		o.Warmup = -1
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	addr, err := suite.FreeAddr()
	if err != nil {
		return nil, err
	}
	ctl, err := suite.FreeAddr()
	if err != nil {
		return nil, err
	}
	prefix := filepath.Join(o.OutDir, "callgrind."+server)
	// ".out*", not "*": callgrind.covet* would also match covetotel's dumps.
	old, _ := filepath.Glob(prefix + ".out*")
	for _, f := range old {
		os.Remove(f)
	}
	logf, err := os.Create(filepath.Join(o.OutDir, server+".log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	p, err := s.Start(suite.StartOptions{
		BinDir: o.BinDir, Addr: addr, CPU: -1, Log: logf, ReadyTimeout: 3 * time.Minute,
		Wrapper: append([]string{"valgrind", "--tool=callgrind", "--dump-before=*shared.Mark",
			"--callgrind-out-file=" + prefix + ".out", "--dump-instr=no", "--dump-line=no", "--compress-pos=no",
			"--compress-strings=no"}, o.Extra...),
		Env: append(env, "BENCH_CONTROL_ADDR="+ctl),
	})
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	// died turns a client-side failure into the server's own story when the
	// server is gone: a process killed under valgrind (SIGILL on an
	// instruction valgrind cannot run, say) shows up at the client as EOF.
	died := func(err error) error {
		if p.Wait(2 * time.Second) {
			return fmt.Errorf("%w; the server died under valgrind (%v), its log ends:\n%s", err, p.Cmd.ProcessState, suite.Tail(logf.Name(), 25))
		}
		return err
	}
	cl, err := dial(ctx, addr, ctl)
	if err != nil {
		return nil, died(err)
	}
	defer cl.close()
	var out []Result
	dumps := 0
	for _, ep := range eps {
		warm := o.Warmup
		if warm < 0 {
			warm = max(10, ep.N/4)
		}
		if err := cl.send(ctx, ep, warm); err != nil {
			return nil, died(fmt.Errorf("callgrind: %s %s warm-up: %w", server, ep.Name, err))
		}
		if err := cl.mark(ctx); err != nil {
			return nil, died(err)
		}
		dumps++
		var counts [2]int64
		for i, n := range []int{ep.N, 2 * ep.N} {
			t0 := time.Now()
			if err := cl.send(ctx, ep, n); err != nil {
				return nil, died(fmt.Errorf("callgrind: %s %s: %w", server, ep.Name, err))
			}
			if err := cl.mark(ctx); err != nil {
				return nil, died(err)
			}
			dumps++
			dump := fmt.Sprintf("%s.out.%d", prefix, dumps)
			c, err := readTotal(dump)
			if err != nil {
				return nil, err
			}
			sm, err := sysmonCost(dump)
			if err != nil {
				return nil, err
			}
			counts[i] = c - sm
			if o.Progress != nil {
				o.Progress(fmt.Sprintf("%s %s: %d requests in %s", server, ep.Name, n, time.Since(t0).Round(time.Millisecond)))
			}
		}
		out = append(out, Result{Server: server, Endpoint: ep.Name, N: ep.N, IN: counts[0], I2N: counts[1],
			PerRequest: float64(counts[1]-counts[0]) / float64(ep.N)})
	}
	return out, nil
}

type client struct {
	conn, ctl net.Conn
	br        *bufio.Reader
}

func dial(ctx context.Context, addr, ctl string) (*client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	k, err := d.DialContext(ctx, "tcp", ctl)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &client{conn: c, ctl: k, br: bufio.NewReaderSize(c, 64<<10)}, nil
}

func (c *client) close() { c.conn.Close(); c.ctl.Close() }

func deadline(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return time.Now().Add(10 * time.Minute)
}

// mark asks the server for a GC and a callgrind dump, and waits for it.
func (c *client) mark(ctx context.Context) error {
	_ = c.ctl.SetDeadline(deadline(ctx))
	if _, err := c.ctl.Write([]byte{1}); err != nil {
		return fmt.Errorf("callgrind: mark: %w", err)
	}
	var b [1]byte
	if _, err := io.ReadFull(c.ctl, b[:]); err != nil {
		return fmt.Errorf("callgrind: mark: %w", err)
	}
	return nil
}

// send sends n requests in windows of Window pipelined requests (one write
// each), and reads every answer before the next window. Within a window the
// server finds each next request already buffered; after it, it always waits
// for the client: the same path every time, whatever the machine's load.
func (c *client) send(ctx context.Context, ep Endpoint, n int) error {
	_ = c.conn.SetDeadline(deadline(ctx))
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	w := max(1, ep.Window)
	batch := bytes.Repeat(ep.Request, w)
	for sent := 0; sent < n; sent += w {
		k := min(w, n-sent)
		if _, err := c.conn.Write(batch[:k*len(ep.Request)]); err != nil {
			return err
		}
		for range k {
			resp, err := http.ReadResponse(c.br, req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			if resp.StatusCode != ep.Status {
				return fmt.Errorf("status %d, want %d", resp.StatusCode, ep.Status)
			}
			if resp.Close {
				return errors.New("the server closed the connection")
			}
		}
	}
	return nil
}

// sysmonCost returns the instructions of the runtime's sysmon thread in a
// dump (inclusive, from callgrind_annotate), 0 if it is not listed. Sysmon
// wakes up on a timer, so its share grows with wall time, not with work.
func sysmonCost(path string) (int64, error) {
	out, err := exec.Command("callgrind_annotate", "--inclusive=yes", "--threshold=100", path).Output()
	if err != nil {
		return 0, fmt.Errorf("callgrind: callgrind_annotate %s: %w", path, err)
	}
	var best int64
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasSuffix(f[len(f)-2], ":runtime.sysmon") {
			continue
		}
		if v, err := strconv.ParseInt(strings.ReplaceAll(f[0], ",", ""), 10, 64); err == nil && v > best {
			best = v
		}
	}
	return best, nil
}

// readTotal returns the instruction count of a callgrind dump.
func readTotal(path string) (int64, error) {
	// The dump is written when Mark is entered, before the server answers
	// the mark, so it is complete here.
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("callgrind: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		for _, key := range []string{"totals:", "summary:"} {
			if rest, ok := strings.CutPrefix(line, key); ok {
				f := strings.Fields(rest)
				if len(f) > 0 {
					return strconv.ParseInt(f[0], 10, 64)
				}
			}
		}
	}
	return 0, fmt.Errorf("callgrind: no totals in %s", path)
}

// Available reports whether valgrind is installed.
func Available() error {
	if _, err := exec.LookPath("valgrind"); err != nil {
		return errors.New("callgrind: valgrind is not installed (apt-get install valgrind)")
	}
	return nil
}

// Table formats results as a markdown table: one row per endpoint, one
// column per server, with each server's ratio to ref.
func Table(results []Result, servers []string, ref string) string {
	by := map[string]map[string]float64{}
	var eps []string
	for _, r := range results {
		if by[r.Endpoint] == nil {
			by[r.Endpoint] = map[string]float64{}
			eps = append(eps, r.Endpoint)
		}
		by[r.Endpoint][r.Server] = r.PerRequest
	}
	var b strings.Builder
	b.WriteString("| endpoint |")
	for _, s := range servers {
		fmt.Fprintf(&b, " %s |", s)
	}
	b.WriteString("\n|---|")
	for range servers {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, e := range eps {
		fmt.Fprintf(&b, "| %s |", e)
		refv := by[e][ref]
		for _, s := range servers {
			v, ok := by[e][s]
			switch {
			case !ok:
				b.WriteString(" – |")
			case refv > 0 && s != ref:
				fmt.Fprintf(&b, " %.0f (%.2f×) |", v, v/refv)
			default:
				fmt.Fprintf(&b, " %.0f |", v)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// SortResults orders results by endpoint (in Endpoints order), then server.
func SortResults(rs []Result) {
	order := map[string]int{}
	for i, e := range Endpoints() {
		order[e.Name] = i
	}
	sort.SliceStable(rs, func(i, j int) bool { return order[rs[i].Endpoint] < order[rs[j].Endpoint] })
}
