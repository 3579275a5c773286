package callgrind_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/covetgo/covet/tools/bench/callgrind"
)

func needValgrind(t *testing.T) {
	t.Helper()
	if os.Getenv("COVET_RELEASE_NESTED") == "1" {
		// tools/release's TestModulesAlone runs this module's tests a second
		// time, resolved from the local proxy; the instruction counts do not
		// depend on how the module was resolved, and the workspace pass has
		// just measured them (two to three minutes of valgrind).
		t.Skip("valgrind runs in the workspace pass, not again in tools/release's alone pass")
	}
	if err := callgrind.Available(); err != nil {
		if os.Getenv("COVET_REQUIRE_SERVICES") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// TestProbe runs a tiny Go program under callgrind with the harness's own
// GODEBUG: the check that would have caught valgrind dying on RDTSCP on
// KVM guests whose CPU does not expose it.
func TestProbe(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs valgrind")
	}
	needValgrind(t)
	if err := callgrind.Probe(context.Background(), callgrind.GODEBUG); err != nil {
		t.Fatal(err)
	}
}

// TestProbeReportsSIGILL shows what the probe says where valgrind cannot
// run the runtime's RDTSCP (the host CPU lacks it): without cpu.rdtscp=off
// the probe fails, and its error names the signal and the instruction
// bytes. On a CPU that has RDTSCP the probe passes either way.
func TestProbeReportsSIGILL(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs valgrind")
	}
	needValgrind(t)
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo:", err)
	}
	err = callgrind.Probe(context.Background(), "asyncpreemptoff=1")
	if strings.Contains(string(info), " rdtscp") {
		if err != nil {
			t.Fatalf("this CPU has RDTSCP, yet the probe failed: %v", err)
		}
		return
	}
	if err == nil {
		t.Skip("valgrind ran RDTSCP on a CPU that does not list it (a newer valgrind?): nothing to report")
	}
	for _, want := range []string{"SIGILL", "0xF 0x1 0xF9", "GODEBUG=asyncpreemptoff=1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the probe's error does not mention %q:\n%v", want, err)
		}
	}
}
