// Package suite knows the benchmark servers: which exist, how to build and
// start each one (pinned to a CPU when asked), when it is ready, and how much
// memory it used. The load runner, the instruction-count guard and the
// conformance tests share it. It imports the standard library only.
package suite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is one benchmark server.
type Server struct {
	// Name is the server's short name (the directory under servers/).
	Name string
	// Setup says what the server runs, for reports.
	Setup string
	// Python is set for the Python servers (run from servers/python).
	Python bool
}

// Servers lists every server, in report order; httprouter, the reference of
// every ratio, comes first after Covet.
var Servers = []Server{
	{Name: "covet", Setup: "Covet (typed handlers, core/middleware, plugins/cors) on net/http"},
	{Name: "httprouter", Setup: "julienschmidt/httprouter v1.3.0 on net/http, encoding/json, go-playground/validator"},
	{Name: "nethttp", Setup: "net/http ServeMux (Go 1.22 patterns), encoding/json, go-playground/validator"},
	{Name: "chi", Setup: "go-chi/chi v5.5.0, chi middleware, go-chi/cors"},
	{Name: "gin", Setup: "gin-gonic/gin v1.12.0 release mode, gin.New(), gin-contrib/cors+requestid"},
	{Name: "echo", Setup: "labstack/echo v4.16.0, echo middleware"},
	{Name: "fiber", Setup: "gofiber/fiber v2.52.15 (fasthttp), fiber middleware"},
	{Name: "fastapi", Setup: "FastAPI on uvicorn, 1 worker, uvloop + httptools", Python: true},
	{Name: "flask", Setup: "Flask on gunicorn, 1 sync worker", Python: true},
}

// Variants are servers measured only when named (cmd/cgmeasure -servers):
// the covet app with the observability plugins, and the peers' equivalents.
var Variants = []Server{
	{Name: "covetmetrics", Setup: "covet with plugins/metrics (defaults)"},
	{Name: "echometrics", Setup: "echo with echo-contrib v0.17.4's echoprometheus middleware (defaults) and /metrics"},
	{Name: "covetcache", Setup: "covet with plugins/cache's response cache (memory; GETs stored a minute): every measured request a hit"},
	{Name: "covetoteldrop", Setup: "covet with plugins/otel, a sampler that drops every trace"},
	{Name: "covetotel", Setup: "covet with plugins/otel as by default (OTLP/HTTP from OTEL_EXPORTER_OTLP_ENDPOINT), every trace sampled: the fast path, batched, OTLP-encoded, posted to a client that discards"},
	{Name: "covetotelsdk", Setup: "covet with plugins/otel and an exporter passed in, every trace sampled: the SDK's span, batch processor and OTLP encoding"},
	{Name: "nethttpotel", Setup: "net/http app in otelhttp.NewHandler, every trace sampled, batched, OTLP-encoded"},
	// The page benchmark (package page, cmd/pagebench): GET /page only.
	{Name: "pagecovet", Setup: "page: Covet + plugins/tmpl (html/template), app.Serve"},
	{Name: "pageraw", Setup: "page: raw html/template into a pooled buffer on net/http ServeMux"},
	{Name: "pagetempl", Setup: "page: Covet + an a-h/templ component (tmpl.RenderComponent), app.Serve"},
	{Name: "flaskpage", Setup: "page: Flask + Jinja2 on gunicorn, 1 sync worker", Python: true},
	{Name: "flaskpage-gthread", Setup: "page: Flask + Jinja2 on gunicorn, 1 gthread worker, 4 threads", Python: true},
}

// Lookup returns the server named name, among Servers and Variants.
func Lookup(name string) (Server, bool) {
	for _, s := range append(Servers[:len(Servers):len(Servers)], Variants...) {
		if s.Name == name {
			return s, true
		}
	}
	return Server{}, false
}

// ModuleDir returns the directory of the tools/bench module, found from
// the working directory upwards.
func ModuleDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/covetgo/covet/tools/bench\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("suite: not inside the tools/bench module")
		}
		dir = parent
	}
}

// Build builds the Go servers among names into binDir, as static binaries
// (CGO_ENABLED=0, -trimpath), one at a time.
func Build(ctx context.Context, moduleDir, binDir string, names ...string) error {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	for _, n := range names {
		s, ok := Lookup(n)
		if !ok {
			return fmt.Errorf("suite: unknown server %q", n)
		}
		if s.Python {
			continue
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(binDir, n), "./servers/"+n)
		cmd.Dir = moduleDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("suite: build %s: %v\n%s", n, err, out)
		}
	}
	return nil
}

// PythonAvailable reports whether the Debian Python stack the Python servers
// need is installed; the error says what is missing.
func PythonAvailable(s Server) error {
	mods := "fastapi, uvicorn, uvloop, httptools, multipart"
	if strings.HasPrefix(s.Name, "flask") {
		mods = "flask, flask_cors"
		if s.Name != "flask" {
			mods = "flask, jinja2"
		}
		if _, err := os.Stat("/usr/bin/gunicorn"); err != nil {
			return errors.New("suite: /usr/bin/gunicorn is not installed (run scripts/install-deps.sh)")
		}
	}
	out, err := exec.Command("/usr/bin/python3", "-c", "import "+mods).CombinedOutput()
	if err != nil {
		return fmt.Errorf("suite: python modules %s are not installed (run scripts/install-deps.sh): %s", mods, strings.TrimSpace(string(out)))
	}
	return nil
}

// StartOptions say how a server process is started.
type StartOptions struct {
	// BinDir holds the built Go servers.
	BinDir string
	// ModuleDir is the tools/bench module directory (for servers/python).
	ModuleDir string
	// Addr is the listen address (127.0.0.1:port).
	Addr string
	// CPU pins the process with taskset when >= 0.
	CPU int
	// Wrapper is prepended to the command (for example a valgrind command line).
	Wrapper []string
	// Env is added to the process environment (GOMAXPROCS=1 is always set).
	Env []string
	// Log receives the process's output; nil discards it.
	Log *os.File
	// ReadyTimeout bounds the wait for the port (default 20 s).
	ReadyTimeout time.Duration
}

// Process is a started server.
type Process struct {
	// Cmd is the started command (taskset or the wrapper, which exec the server).
	Cmd *exec.Cmd
	// Addr is the address the server listens on.
	Addr string

	exited chan struct{}
}

// Command returns the command line of s listening on addr.
func (s Server) Command(o StartOptions) (args []string, dir string) {
	host, port, _ := net.SplitHostPort(o.Addr)
	switch s.Name {
	case "fastapi":
		return []string{"/usr/bin/python3", "-m", "uvicorn", "fastapi_app:app", "--host", host, "--port", port,
			"--workers", "1", "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"}, filepath.Join(o.ModuleDir, "servers", "python")
	case "flask":
		return []string{"/usr/bin/gunicorn", "-w", "1", "-k", "sync", "-b", o.Addr, "--log-level", "warning", "flask_app:app"}, filepath.Join(o.ModuleDir, "servers", "python")
	case "flaskpage":
		return []string{"/usr/bin/gunicorn", "-w", "1", "-k", "sync", "-b", o.Addr, "--log-level", "warning", "flask_page:app"}, filepath.Join(o.ModuleDir, "servers", "python")
	case "flaskpage-gthread":
		return []string{"/usr/bin/gunicorn", "-w", "1", "-k", "gthread", "--threads", "4", "-b", o.Addr, "--log-level", "warning", "flask_page:app"}, filepath.Join(o.ModuleDir, "servers", "python")
	}
	return []string{filepath.Join(o.BinDir, s.Name), "-addr", o.Addr}, ""
}

// Start starts s and waits until its port accepts connections.
func (s Server) Start(o StartOptions) (*Process, error) {
	args, dir := s.Command(o)
	args = append(append([]string{}, o.Wrapper...), args...)
	if o.CPU >= 0 {
		args = append([]string{"taskset", "-c", strconv.Itoa(o.CPU)}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOMAXPROCS=1", "PYTHONDONTWRITEBYTECODE=1"), o.Env...)
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("suite: start %s: %w", s.Name, err)
	}
	p := &Process{Cmd: cmd, Addr: o.Addr}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	timeout := o.ReadyTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-exited:
			if o.Log != nil {
				return nil, fmt.Errorf("suite: %s exited before listening (%v); its log ends:\n%s", s.Name, cmd.ProcessState, Tail(o.Log.Name(), 25))
			}
			return nil, fmt.Errorf("suite: %s exited before listening (%v)", s.Name, cmd.ProcessState)
		default:
		}
		if c, err := net.DialTimeout("tcp", o.Addr, 200*time.Millisecond); err == nil {
			c.Close()
			p.exited = exited
			return p, nil
		}
		if time.Now().After(deadline) {
			p.exited = exited
			p.Stop()
			return nil, fmt.Errorf("suite: %s did not listen on %s within %s", s.Name, o.Addr, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM to the server's process group and waits (up to 60 s,
// then SIGKILL) for it to exit.
func (p *Process) Stop() {
	pgid := p.Cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	}
}

// Wait waits up to d for the process to exit by itself.
func (p *Process) Wait(d time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// CPUTime returns the user and system CPU time the server's process tree
// has used so far (all threads; a gunicorn master and its worker summed),
// at the kernel's clock-tick resolution (10 ms).
func (p *Process) CPUTime() time.Duration {
	var ticks int64
	for _, pid := range tree(p.Cmd.Process.Pid) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command (which may hold spaces), from field 3 on.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b)[i+1:])
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14
		st, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
		ticks += ut + st
	}
	return time.Duration(ticks) * (time.Second / clockTicks)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// VmHWM returns the peak resident memory, in KiB, summed over the server's
// process tree (a gunicorn master and its worker; taskset execs, so its pid
// is the server's).
func (p *Process) VmHWM() int64 {
	var total int64
	for _, pid := range tree(p.Cmd.Process.Pid) {
		total += statusField(pid, "VmHWM:")
	}
	return total
}

func tree(root int) []int {
	out := []int{root}
	for i := 0; i < len(out); i++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", out[i], out[i]))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func statusField(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// Tail returns the last n lines of the file at path (a server's log), or a
// note saying why it could not be read. Lines valgrind prefixes with its
// pid ("==123== ...") are kept: they carry its own diagnostics.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreeAddr returns a free 127.0.0.1 address.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// NumCPU is runtime.NumCPU, for callers deciding whether pinning is possible.
func NumCPU() int { return runtime.NumCPU() }
