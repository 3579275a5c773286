package scaleout

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Topology is a running scale-out topology (scripts/up.sh): its settings
// are read from topology.env in its state directory.
type Topology struct {
	// Dir is the state directory: logs, pids, configurations.
	Dir string
	// LB is the load balancer's base URL, e.g. http://127.0.0.1:18080.
	LB string
	// Instances is the number of taskboard instances.
	Instances int
	// InstancePorts are the instances' ports, instance i (1-based) at [i-1].
	InstancePorts []int
	// DatabaseURL is the run's PostgreSQL database, PG the server's URL
	// without database, DB the database's name.
	DatabaseURL, PG, DB string
	// RedisPort is the private Redis server's port.
	RedisPort int

	scripts string
	env     map[string]string
}

// UpOptions configure Up.
type UpOptions struct {
	// Dir is the state directory (required; it must not hold a topology).
	Dir string
	// Port is the load balancer's port; the instances take the next
	// Instances ports and Redis Port+100 (default 18080).
	Port int
	// Instances is the number of taskboard instances (default 3).
	Instances int
	// Binary is a taskboard binary (default: up.sh builds one).
	Binary string
	// Log receives the scripts' output (default: discarded).
	Log *os.File
	// App is what the instances run: "covet" (the taskboard, default),
	// or a peer of the comparison, "covet-min", "gin" or "fastapi" (peers/;
	// the JSON API part only: no live updates, no cross-instance checks).
	App string
	// HTTPReuse is HAProxy's http-reuse towards the instances: "never"
	// (default: a fresh connection per request, safe across drains) or
	// "safe" (keep-alive connections reused; runs without faults).
	HTTPReuse string
}

// Scripts returns the directory of up.sh, down.sh and instance.sh, found
// next to this source file (the harness runs from the repository).
func Scripts() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "scripts")
}

// Up starts a topology with scripts/up.sh and returns it; on failure it
// runs down.sh so nothing is left behind.
func Up(ctx context.Context, o UpOptions) (*Topology, error) {
	if o.Dir == "" {
		return nil, errors.New("scaleout: UpOptions.Dir is required")
	}
	if o.Port == 0 {
		o.Port = 18080
	}
	if o.Instances == 0 {
		o.Instances = 3
	}
	env := []string{"SCALEOUT_DIR=" + o.Dir, "SCALEOUT_PORT=" + strconv.Itoa(o.Port),
		"SCALEOUT_INSTANCES=" + strconv.Itoa(o.Instances)}
	if o.Binary != "" {
		env = append(env, "SCALEOUT_BINARY="+o.Binary)
	}
	if o.App != "" {
		env = append(env, "SCALEOUT_APP="+o.App)
	}
	if o.HTTPReuse != "" {
		env = append(env, "SCALEOUT_HTTP_REUSE="+o.HTTPReuse)
	}
	t := &Topology{Dir: o.Dir, scripts: Scripts()}
	if out, err := t.script(ctx, env, "up.sh"); err != nil {
		_, _ = t.script(context.WithoutCancel(ctx), env, "down.sh")
		return nil, fmt.Errorf("scaleout: up.sh: %w\n%s", err, out)
	}
	if err := t.load(); err != nil {
		_ = t.Down(context.WithoutCancel(ctx))
		return nil, err
	}
	return t, nil
}

// Open returns the topology already running in dir (started by up.sh).
func Open(dir string) (*Topology, error) {
	t := &Topology{Dir: dir, scripts: Scripts()}
	return t, t.load()
}

func (t *Topology) load() error {
	f, err := os.Open(filepath.Join(t.Dir, "topology.env"))
	if err != nil {
		return fmt.Errorf("scaleout: %w", err)
	}
	defer f.Close()
	t.env = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			t.env[k] = strings.Trim(v, `"`)
		}
	}
	t.LB = t.env["SCALEOUT_LB"]
	t.Instances, _ = strconv.Atoi(t.env["SCALEOUT_INSTANCES"])
	for _, p := range strings.Fields(t.env["SCALEOUT_INSTANCE_PORTS"]) {
		n, _ := strconv.Atoi(p)
		t.InstancePorts = append(t.InstancePorts, n)
	}
	t.DatabaseURL, t.PG, t.DB = t.env["DATABASE_URL"], t.env["SCALEOUT_PG"], t.env["SCALEOUT_DB"]
	t.RedisPort, _ = strconv.Atoi(t.env["SCALEOUT_REDIS_PORT"])
	if t.LB == "" || t.Instances == 0 || len(t.InstancePorts) != t.Instances || t.DB == "" || t.RedisPort == 0 {
		return fmt.Errorf("scaleout: %s/topology.env is incomplete", t.Dir)
	}
	return nil
}

// Down stops the topology with scripts/down.sh: instances, HAProxy and
// Redis stopped, the database dropped, the state directory removed.
func (t *Topology) Down(ctx context.Context) error {
	out, err := t.script(ctx, []string{"SCALEOUT_DIR=" + t.Dir}, "down.sh")
	if err != nil {
		return fmt.Errorf("scaleout: down.sh: %w\n%s", err, out)
	}
	return nil
}

func (t *Topology) script(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(t.scripts, name), args...) // #nosec G204 -- the harness runs its own scripts (scripts directory of this module) with arguments it builds
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// instance runs instance.sh action i.
func (t *Topology) instance(ctx context.Context, action string, i int) error {
	out, err := t.script(ctx, []string{"SCALEOUT_DIR=" + t.Dir}, "instance.sh", action, strconv.Itoa(i))
	if err != nil {
		return fmt.Errorf("scaleout: instance.sh %s %d: %w\n%s", action, i, err, out)
	}
	return nil
}

// Kill SIGKILLs instance i (1-based).
func (t *Topology) Kill(ctx context.Context, i int) error { return t.instance(ctx, "kill", i) }

// Term SIGTERMs instance i and waits until it has exited (drained).
func (t *Topology) Term(ctx context.Context, i int) error { return t.instance(ctx, "term", i) }

// Start starts instance i and waits until its /readyz answers.
func (t *Topology) Start(ctx context.Context, i int) error {
	if err := t.instance(ctx, "start", i); err != nil {
		return err
	}
	return t.instance(ctx, "wait", i)
}

// SQL runs a statement with psql on the run's database and returns its
// unaligned output (rows on lines, fields separated by |).
func (t *Topology) SQL(ctx context.Context, query string) (string, error) {
	cmd := exec.CommandContext(ctx, "psql", t.DatabaseURL, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", query) // #nosec G204 -- the harness runs psql on its own test database with queries it builds; not a server
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("scaleout: psql: %w: %s", err, out)
	}
	return string(out), nil
}

// TerminateBackends ends every PostgreSQL backend connected to the run's
// database (the instances' pooled connections) and returns how many.
func (t *Topology) TerminateBackends(ctx context.Context) (int, error) {
	cmd := exec.CommandContext(ctx, "psql", t.PG+"/postgres", "-qAtX", "-c", // #nosec G204 -- the harness runs psql on its own test database with queries it builds; not a server
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '"+t.DB+"' AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("scaleout: psql: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// Redis runs a redis-cli command against the topology's Redis.
func (t *Topology) Redis(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "redis-cli", append([]string{"-p", strconv.Itoa(t.RedisPort)}, args...)...) // #nosec G204 -- the harness runs redis-cli against its own Redis with commands it builds; not a server
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("scaleout: redis-cli %v: %w: %s", args, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// PauseRedis stalls every Redis client for d (CLIENT PAUSE ALL).
func (t *Topology) PauseRedis(ctx context.Context, d time.Duration) error {
	out, err := t.Redis(ctx, "CLIENT", "PAUSE", strconv.FormatInt(d.Milliseconds(), 10), "ALL")
	if err == nil && out != "OK" {
		err = fmt.Errorf("scaleout: CLIENT PAUSE: %s", out)
	}
	return err
}

// RestartRedis shuts the private Redis server down, waits down for d and
// starts it again (empty: it keeps nothing on disk), waiting for PING.
func (t *Topology) RestartRedis(ctx context.Context, d time.Duration) error {
	_, _ = t.Redis(ctx, "SHUTDOWN", "NOSAVE") // the connection drops: no answer
	time.Sleep(d)
	cmd := exec.CommandContext(ctx, "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", // #nosec G204 -- the harness restarts its own redis-server with arguments it builds; not a server
		"--port", strconv.Itoa(t.RedisPort), "--save", "", "--appendonly", "no", "--dir", t.Dir,
		"--logfile", filepath.Join(t.Dir, "redis.log"), "--pidfile", filepath.Join(t.Dir, "redis.pid"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scaleout: redis-server: %w: %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if out, err := t.Redis(ctx, "PING"); err == nil && out == "PONG" {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("scaleout: Redis did not come back within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
