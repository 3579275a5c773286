package scaleout

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Components of the topology whose CPU time Usage reports.
const (
	CompHarness  = "harness"  // this process (the load generator)
	CompApp      = "app"      // the instances (taskboard, covet-min, gin or uvicorn processes)
	CompPostgres = "postgres" // the PostgreSQL backends connected to the run's database
	CompRedis    = "redis"    // the topology's private Redis
	CompHAProxy  = "haproxy"  // the load balancer
)

// Components lists the components of Usage in report order.
var Components = []string{CompApp, CompPostgres, CompRedis, CompHAProxy, CompHarness}

// Usage is a sample of the CPU time each component of a topology has used,
// per process (Linux /proc), with the database's session count; the
// difference of two samples (Since) is what a run cost.
type Usage struct {
	At time.Time
	// CPU is user + system time per component and process id.
	CPU map[string]map[int]time.Duration
	// Sessions is pg_stat_database.sessions of the run's database: new
	// PostgreSQL connections (each one a forked backend).
	Sessions int64
	// Load is the machine's 1-minute load average.
	Load float64
}

// Sample reads the CPU time of every process of the topology and of this
// process. A PostgreSQL backend that exits between two samples is not
// counted (the pools keep theirs for minutes).
func (t *Topology) Sample(ctx context.Context) (Usage, error) {
	u := Usage{At: time.Now(), CPU: map[string]map[int]time.Duration{}}
	add := func(comp string, pid int) {
		if d, err := procCPU(pid); err == nil {
			if u.CPU[comp] == nil {
				u.CPU[comp] = map[int]time.Duration{}
			}
			u.CPU[comp][pid] = d
		}
	}
	for i := 1; i <= t.Instances; i++ {
		if pid, err := pidFile(filepath.Join(t.Dir, fmt.Sprintf("instance-%d.pid", i))); err == nil {
			add(CompApp, pid)
		}
	}
	for _, f := range []struct{ comp, file string }{{CompRedis, "redis.pid"}, {CompHAProxy, "haproxy.pid"}} {
		if pid, err := pidFile(filepath.Join(t.Dir, f.file)); err == nil {
			add(f.comp, pid)
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		u.CPU[CompHarness] = map[int]time.Duration{os.Getpid(): time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	}
	out, err := t.SQL(ctx, "SELECT coalesce((SELECT sessions FROM pg_stat_database WHERE datname = current_database()), 0) "+
		"UNION ALL SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
	if err != nil {
		return u, err
	}
	for i, f := range strings.Fields(out) {
		n, _ := strconv.ParseInt(f, 10, 64)
		if i == 0 {
			u.Sessions = n
		} else {
			add(CompPostgres, int(n))
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			u.Load, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	return u, nil
}

// Since returns the CPU time each component used between an earlier
// sample and u (a process that started in between counts from zero) and
// the PostgreSQL sessions opened in between.
func (u Usage) Since(before Usage) (map[string]time.Duration, int64) {
	out := map[string]time.Duration{}
	for comp, procs := range u.CPU {
		for pid, d := range procs {
			out[comp] += d - before.CPU[comp][pid]
		}
	}
	return out, u.Sessions - before.Sessions
}

// pidFile reads a process id from a pid file.
func pidFile(path string) (int, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- a pid file the topology's own scripts wrote under the run directory
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTick = 100

// procCPU returns a process's user + system time from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count from after ")".
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("scaleout: /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("scaleout: /proc/%d/stat: %d fields", pid, len(f))
	}
	// utime and stime are fields 14 and 15 of the line: 12 and 13 after ")".
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("scaleout: /proc/%d/stat: bad times", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTick, nil
}
