package scaleout

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestProcCPU: /proc/PID/stat's user and system times are read for this
// process and grow while it computes.
func TestProcCPU(t *testing.T) {
	before, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var after time.Duration
	for x := 0; after <= before; x++ { // until the clock ticks (10 ms of CPU)
		if after, err = procCPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		for i := range 100000 {
			x ^= i
		}
	}
	if _, err := procCPU(-1); err == nil {
		t.Error("procCPU(-1) did not fail")
	}
}

// TestUsageSince: a component's CPU is the sum over its processes of what
// each used between the samples; a process that started in between counts
// from zero, one that ended is left out.
func TestUsageSince(t *testing.T) {
	ms := time.Millisecond
	before := Usage{Sessions: 3, CPU: map[string]map[int]time.Duration{
		CompApp:      {10: 100 * ms, 11: 50 * ms},
		CompPostgres: {20: 5 * ms, 21: 7 * ms},
	}}
	after := Usage{Sessions: 5, CPU: map[string]map[int]time.Duration{
		CompApp:      {10: 160 * ms, 11: 90 * ms},
		CompPostgres: {20: 9 * ms, 22: 4 * ms}, // 21 ended, 22 started
	}}
	cpu, sessions := after.Since(before)
	if cpu[CompApp] != 100*ms || cpu[CompPostgres] != 8*ms || sessions != 2 {
		t.Errorf("Since = %v, %d sessions; want app 100ms, postgres 8ms, 2 sessions", cpu, sessions)
	}
}

// TestPidFile reads a pid file with its trailing newline.
func TestPidFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.pid")
	if err := os.WriteFile(p, []byte("4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if pid, err := pidFile(p); err != nil || pid != 4242 {
		t.Errorf("pidFile = %d, %v; want 4242", pid, err)
	}
}
