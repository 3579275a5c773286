package covettest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
)

// LeakOption configures FailedStartLeavesNothing.
type LeakOption func(*leakConfig)

type leakConfig struct {
	verify func(t *testing.T) func()
	checks []func(t *testing.T)
}

// LeakVerify replaces FailedStartLeavesNothing's goroutine check: verify is
// called at the start of each subtest and the func it returns runs when the
// subtest ends, after the LeakCheck funcs. Plugins that test with goleak
// keep it this way without core depending on it:
//
//	covettest.LeakVerify(func(t *testing.T) func() {
//		opt := goleak.IgnoreCurrent()
//		return func() { goleak.VerifyNone(t, opt) }
//	})
//
// Without LeakVerify, a subtest fails when a goroutine started during it is
// still running a short while after it (the check PluginContract makes).
func LeakVerify(verify func(t *testing.T) func()) LeakOption {
	return func(c *leakConfig) { c.verify = verify }
}

// LeakCheck adds a check run at the end of each subtest of
// FailedStartLeavesNothing (after the failed Start or the rolled-back
// Install), for what a plugin may leave outside the process, such as a
// Redis connection (look for it by its CLIENT SETNAME in CLIENT LIST).
func LeakCheck(check func(t *testing.T)) LeakOption {
	return func(c *leakConfig) { c.checks = append(c.checks, check) }
}

// errLeakStart is the error of the failing plugin FailedStartLeavesNothing
// installs next to the plugin under test.
var errLeakStart = errors.New("leak test: start fails")

// FailedStartLeavesNothing checks that a plugin leaves nothing behind when
// the app it is in does not start. It runs three subtests, each with a fresh
// plugin from newPlugin:
//
//   - "failing plugin first false": the plugin is installed before one whose
//     Start fails (FailingStart), so the plugin is started, stopped and
//     cleaned up;
//   - "failing plugin first true": it is installed after it, so it is never
//     started and is only cleaned up;
//   - "failed install": it is installed from an Install that fails after it
//     (FailingInstall); the rolled-back app must answer a probe request
//     exactly as an app without it (status, headers but Date, body: no
//     middleware left behind) and list no plugin.
//
// In each, no goroutine started during the subtest may be left (see
// LeakVerify) and every LeakCheck must pass.
func FailedStartLeavesNothing(t *testing.T, newPlugin func(t *testing.T) covet.Plugin, opts ...LeakOption) {
	t.Helper()
	cfg := leakConfig{verify: verifyNoNewGoroutines}
	for _, o := range opts {
		o(&cfg)
	}
	for _, failFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("failing plugin first %v", failFirst), func(t *testing.T) {
			defer cfg.verify(t)()
			app := covet.New()
			plugins := []covet.Plugin{newPlugin(t), FailingStart(errLeakStart)}
			if failFirst {
				plugins[0], plugins[1] = plugins[1], plugins[0]
			}
			if err := app.Install(plugins...); err != nil {
				t.Fatal(err)
			}
			if err := app.Start(context.Background()); !errors.Is(err, errLeakStart) {
				t.Fatalf("Start: %v, want the failing plugin's error", err)
			}
			for _, check := range cfg.checks {
				check(t)
			}
		})
	}
	t.Run("failed install", func(t *testing.T) {
		defer cfg.verify(t)()
		bare, app := leakProbeApp(), leakProbeApp()
		if err := app.Install(FailingInstall(newPlugin(t), errLeakStart)); !errors.Is(err, errLeakStart) {
			t.Fatalf("Install: %v, want the failing plugin's error", err)
		}
		want := New(t, bare).Get("/leak-probe").Header("Origin", "https://example.com").Header("Accept-Encoding", "gzip").Do()
		got := New(t, app).Get("/leak-probe").Header("Origin", "https://example.com").Header("Accept-Encoding", "gzip").Do()
		want.Header.Del("Date")
		got.Header.Del("Date")
		if got.StatusCode != want.StatusCode || fmt.Sprint(got.Header) != fmt.Sprint(want.Header) || string(got.Body) != string(want.Body) {
			t.Errorf("after a rolled-back install: %d %v %q, want %d %v %q", got.StatusCode, got.Header, got.Body, want.StatusCode, want.Header, want.Body)
		}
		if len(app.Plugins()) != 0 {
			t.Errorf("plugins left: %d", len(app.Plugins()))
		}
		for _, check := range cfg.checks {
			check(t)
		}
	})
}

// verifyNoNewGoroutines is FailedStartLeavesNothing's default goroutine
// check: core's own goroutine diff, so core does not depend on goleak.
func verifyNoNewGoroutines(t *testing.T) func() {
	before := goroutines()
	return func() {
		if left := newGoroutines(before, leakWait); len(left) > 0 {
			t.Errorf("%d goroutine(s) left:\n%s", len(left), strings.Join(left, "\n\n"))
		}
	}
}

func leakProbeApp() *covet.App {
	app := covet.New()
	app.GET("/leak-probe", func(c *covet.Context) error { return c.Text(http.StatusOK, "probe") })
	return app
}
