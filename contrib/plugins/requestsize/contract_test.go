package requestsize_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// brokenEnv selects, in a child test process, which broken plugin
// TestBrokenPluginContract feeds to covettest.PluginContract.
const brokenEnv = "REQUESTSIZE_BROKEN_PLUGIN"

// broken is a plugin that breaks one rule of the hook contract.
type broken struct {
	kind  string
	calls *atomic.Int32
}

func (b broken) Name() string {
	switch b.kind {
	case "empty name":
		return ""
	case "unstable name":
		return "broken-" + string(rune('a'+b.calls.Add(1)))
	}
	return "broken"
}

func (b broken) Install(app *covet.App) error {
	if b.kind == "install fails" {
		return errors.New("broken: cannot install")
	}
	if b.kind == "install opens" {
		go func() { select {} }() // a goroutine Install should not start
	}
	if b.kind == "breaks requests" {
		app.Use(func(covet.HandlerFunc) covet.HandlerFunc {
			return func(c *covet.Context) error { panic("broken: middleware panics") }
		})
	}
	return nil
}

func (b broken) Start(context.Context) error {
	if b.kind == "start fails" {
		return errors.New("broken: cannot start")
	}
	if b.kind == "start leaks" {
		go func() { select {} }() // a goroutine neither Stop nor Cleanup ends
	}
	return nil
}

func (b broken) CheckHealth(context.Context, covet.HealthKind) covet.HealthReport {
	switch b.kind {
	case "invalid health":
		return covet.HealthReport{Status: "fine"}
	case "down without reason":
		return covet.HealthReport{Status: covet.HealthDown}
	}
	return covet.HealthReport{Status: covet.HealthOK}
}

func (b broken) ObserveRoutes([]covet.RouteInfo) error {
	if b.kind == "rejects routes" {
		return errors.New("broken: routes refused")
	}
	return nil
}

var brokenLabels = []covet.StatLabel{{Name: "reason", Value: "probe"}}

func (b broken) AppendStats(dst []covet.Stat) []covet.Stat {
	n := float64(b.calls.Add(1))
	ok := covet.Stat{Name: "probes", Help: "Probes.", Kind: covet.StatCounter, Value: n, Labels: brokenLabels}
	switch b.kind {
	case "counter goes down":
		ok.Value = 100 - n
	case "negative counter":
		ok.Value = -1
	case "stat with total":
		ok.Name = "probes_total"
	case "stat without help":
		ok.Help = ""
	case "unstable stats":
		if n > 1 {
			ok.Labels = []covet.StatLabel{{Name: "reason", Value: "other"}}
		}
	case "duplicate series":
		dst = append(dst, ok)
	case "drops dst":
		return []covet.Stat{ok}
	}
	return append(dst, ok)
}

// TestBrokenPluginContract runs only as the child of
// TestContractCatchesBrokenPlugins.
func TestBrokenPluginContract(t *testing.T) {
	kind := os.Getenv(brokenEnv)
	if kind == "" {
		t.Skip("run by TestContractCatchesBrokenPlugins")
	}
	calls := new(atomic.Int32)
	covettest.PluginContract(t, func() covet.Plugin { return broken{kind: kind, calls: calls} })
}

// TestContractCatchesBrokenPlugins proves that covettest.PluginContract
// fails for a plugin that breaks each rule, naming the rule.
func TestContractCatchesBrokenPlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child test processes")
	}
	tests := []struct {
		kind string
		want string
	}{
		{"empty name", "Name() is empty"},
		{"unstable name", "Name() is not stable"},
		{"install fails", "installing \"broken\" into a fresh app: covet: install plugin \"broken\": broken: cannot install"},
		{"breaks requests", "a plain route answers 500"},
		{"start fails", "App.Start with \"broken\""},
		{"invalid health", "status \"fine\", want one of"},
		{"down without reason", "is \"down\" without an Error explaining it"},
		{"rejects routes", "ObserveRoutes(app.Routes()): broken: routes refused"},
		{"install opens", "Install of \"broken\" started 1 goroutines (Install opens nothing"},
		{"start leaks", "goroutines left after App.Stop with \"broken\""},
		{"counter goes down", "counter probes,reason=probe went down after Start: 99 then 98"},
		{"negative counter", "counter probes,reason=probe is -1 after Install, want >= 0"},
		{"stat with total", "stat name \"probes_total\": want lower snake case without \"_total\""},
		{"stat without help", "stat probes has no Help"},
		{"unstable stats", "no longer reports series probes,reason=probe after Start"},
		{"duplicate series", "reports series probes,reason=probe twice"},
		{"drops dst", "did not keep what dst held"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel() // the goroutine checks wait for leaks to end: overlap the waits
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenPluginContract$", "-test.count=1")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tt.kind)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the contract passed a plugin with %s:\n%s", tt.kind, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("contract output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}
