package covettest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// contractTimeout bounds each hook call PluginContract makes, so a plugin
// that blocks fails the contract instead of hanging the test binary.
const contractTimeout = 10 * time.Second

// PluginContract checks that the plugins newPlugin returns keep the contract
// of core's plugin hooks (covet.Plugin and the optional covet.Starter,
// covet.Stopper, covet.HealthChecker and covet.RouteObserver). Run it from
// the plugin's own tests:
//
//	func TestContract(t *testing.T) {
//		covettest.PluginContract(t, func() covet.Plugin { return requestsize.New() })
//	}
//
// newPlugin must return a fresh, fully configured plugin on each call (the
// contract installs several). A plugin that needs a backing service gets its
// address from the test (for example covettest.PostgresDSN()).
//
// It checks, each as a subtest:
//   - name: Name is not empty and the same on every call and every instance;
//   - install: Install into a fresh app succeeds, the app still serves a plain
//     route without a server error, and the plugin is listed by App.Plugin;
//   - duplicate: installing a second plugin with the same name is refused;
//   - lifecycle: App.Start succeeds (Start, if implemented, and RouteObserver
//     through the app's build), then App.Stop succeeds (Stop, if implemented);
//     Stop after Start works and a second App.Stop is harmless;
//   - health: CheckHealth, if implemented, answers "ok", "degraded" or "down"
//     for both covet.Liveness and covet.Readiness, within its context;
//   - routes: ObserveRoutes, if implemented, accepts the app's routes;
//   - stats: AppendStats, if implemented, answers after Install, after Start,
//     again, and after Stop, with the same series (name and labels) each
//     time, valid lower snake case names without "_total", a Help, a known
//     Kind, no series twice, no NaN, and counters that are never negative and
//     never go down; it appends to dst and keeps what dst held;
//   - opens nothing: Install starts no goroutine, and App.Stop of an app that
//     was never started (which runs covet.Cleaner's Cleanup) leaves none of
//     those the plugin started, from its construction by newPlugin on;
//   - cleanup: when another plugin's Start fails, after this one's (so it was
//     started and stopped) or before it (so it never started), App.Start
//     returns that error and no goroutine the plugin started is left once it
//     returns; a second Cleanup, if implemented, is harmless;
//   - rollback: a plugin whose Install installs this one and then fails
//     leaves the app exactly as before (routes and their metadata, security
//     schemes, plugins, and the answers to a plain route, an unknown path and
//     an automatic OPTIONS), and no goroutine behind;
//   - drain: after Start, App.Draining is open; App.Stop fires it before the
//     plugin's Stop runs, and after Stop no goroutine the plugin started is
//     left.
//
// The goroutine checks compare the goroutines running before and after,
// waiting a few seconds for those that are ending; run PluginContract from
// a test that is not parallel.
func PluginContract(t *testing.T, newPlugin func() covet.Plugin) {
	t.Helper()
	fresh := func(t *testing.T) covet.Plugin {
		t.Helper()
		p := newPlugin()
		if p == nil {
			t.Fatal("covettest: contract: newPlugin returned nil")
		}
		return p
	}

	t.Run("name", func(t *testing.T) {
		p := fresh(t)
		name := p.Name()
		if name == "" {
			t.Fatalf("covettest: contract: %T.Name() is empty", p)
		}
		if again := p.Name(); again != name {
			t.Errorf("covettest: contract: %T.Name() is not stable: %q then %q", p, name, again)
		}
		if other := fresh(t).Name(); other != name {
			t.Errorf("covettest: contract: two instances of %T have different names: %q and %q", p, name, other)
		}
	})

	t.Run("install", func(t *testing.T) {
		p := fresh(t)
		app := covet.New(covet.WithHealth())
		app.GET("/covettest-contract/probe", func(c *covet.Context) error {
			return c.Text(http.StatusOK, "probe")
		})
		if err := app.Install(p); err != nil {
			t.Fatalf("covettest: contract: installing %q into a fresh app: %v", p.Name(), err)
		}
		if got := app.Plugin(p.Name()); got == nil {
			t.Fatalf("covettest: contract: app.Plugin(%q) is nil after Install", p.Name())
		}
		res := New(t, app).Get("/covettest-contract/probe").Do()
		if res.StatusCode >= 500 {
			t.Errorf("covettest: contract: with %q installed, a plain route answers %d: %s", p.Name(), res.StatusCode, clip(res.Body))
		}
	})

	t.Run("duplicate", func(t *testing.T) {
		p := fresh(t)
		app := covet.New()
		if err := app.Install(p); err != nil {
			t.Fatalf("covettest: contract: first Install of %q: %v", p.Name(), err)
		}
		if err := app.Install(fresh(t)); err == nil {
			t.Errorf("covettest: contract: a second plugin named %q was installed; want it refused", p.Name())
		}
		if n := len(app.Plugins()); n != 1 {
			t.Errorf("covettest: contract: %d plugins installed after a refused duplicate, want 1", n)
		}
	})

	t.Run("lifecycle", func(t *testing.T) {
		p := fresh(t)
		app := covet.New()
		if err := app.Install(p); err != nil {
			t.Fatalf("covettest: contract: Install %q: %v", p.Name(), err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), contractTimeout)
		defer cancel()
		if err := within(ctx, func() error { return app.Start(ctx) }); err != nil {
			t.Fatalf("covettest: contract: App.Start with %q: %v", p.Name(), err)
		}
		if err := within(ctx, func() error { return app.Stop(ctx) }); err != nil {
			t.Fatalf("covettest: contract: App.Stop after Start with %q: %v", p.Name(), err)
		}
		if err := within(ctx, func() error { return app.Stop(ctx) }); err != nil {
			t.Errorf("covettest: contract: a second App.Stop with %q: %v", p.Name(), err)
		}
	})

	t.Run("health", func(t *testing.T) {
		p := fresh(t)
		hc, ok := p.(covet.HealthChecker)
		if !ok {
			t.Skipf("%T does not implement covet.HealthChecker", p)
		}
		app := covet.New(covet.WithHealth())
		if err := app.Install(p); err != nil {
			t.Fatalf("covettest: contract: Install %q: %v", p.Name(), err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), contractTimeout)
		defer cancel()
		if err := app.Start(ctx); err != nil {
			t.Fatalf("covettest: contract: App.Start with %q: %v", p.Name(), err)
		}
		defer func() { _ = app.Stop(context.WithoutCancel(ctx)) }()
		valid := []covet.HealthStatus{covet.HealthOK, covet.HealthDegraded, covet.HealthDown}
		for _, kind := range []covet.HealthKind{covet.Liveness, covet.Readiness} {
			var rep covet.HealthReport
			err := within(ctx, func() error { rep = hc.CheckHealth(ctx, kind); return nil })
			if err != nil {
				t.Errorf("covettest: contract: %q CheckHealth(%s): %v", p.Name(), kind, err)
				continue
			}
			if !slices.Contains(valid, rep.Status) {
				t.Errorf("covettest: contract: %q CheckHealth(%s) status %q, want one of %q", p.Name(), kind, rep.Status, valid)
			}
			if rep.Status != covet.HealthOK && rep.Error == "" {
				t.Errorf("covettest: contract: %q CheckHealth(%s) is %q without an Error explaining it", p.Name(), kind, rep.Status)
			}
		}
	})

	t.Run("routes", func(t *testing.T) {
		p := fresh(t)
		ro, ok := p.(covet.RouteObserver)
		if !ok {
			t.Skipf("%T does not implement covet.RouteObserver", p)
		}
		app := covet.New(covet.WithHealth())
		app.GET("/covettest-contract/items/{id:int}", func(c *covet.Context) error { return nil }).
			Name("covettest.contract.item").Summary("contract probe").Tags("covettest")
		if err := app.Install(p); err != nil {
			t.Fatalf("covettest: contract: Install %q: %v", p.Name(), err)
		}
		if err := ro.ObserveRoutes(app.Routes()); err != nil {
			t.Errorf("covettest: contract: %q ObserveRoutes(app.Routes()): %v", p.Name(), err)
		}
	})

	t.Run("stats", func(t *testing.T) {
		p := fresh(t)
		sr, ok := p.(covet.StatsReporter)
		if !ok {
			t.Skipf("%T does not implement covet.StatsReporter", p)
		}
		app := covet.New()
		if err := app.Install(p); err != nil {
			t.Fatalf("covettest: contract: Install %q: %v", p.Name(), err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), contractTimeout)
		defer cancel()
		first := checkStats(t, p.Name(), "after Install", sr, nil)
		if err := within(ctx, func() error { return app.Start(ctx) }); err != nil {
			t.Fatalf("covettest: contract: App.Start with %q: %v", p.Name(), err)
		}
		started := checkStats(t, p.Name(), "after Start", sr, first)
		again := checkStats(t, p.Name(), "a second time", sr, started)
		if err := within(ctx, func() error { return app.Stop(ctx) }); err != nil {
			t.Fatalf("covettest: contract: App.Stop with %q: %v", p.Name(), err)
		}
		checkStats(t, p.Name(), "after Stop", sr, again)
	})

	t.Run("opens nothing", func(t *testing.T) {
		before := goroutines()
		p := fresh(t)
		app := covet.New()
		beforeInstall := goroutines()
		if err := app.Install(p); err != nil {
			t.Fatalf("covettest: contract: Install %q: %v", p.Name(), err)
		}
		if left := newGoroutines(beforeInstall, leakWait); len(left) > 0 {
			t.Errorf("covettest: contract: Install of %q started %d goroutines (Install opens nothing; start them in Start):\n%s", p.Name(), len(left), strings.Join(left, "\n\n"))
		}
		ctx, cancel := context.WithTimeout(context.Background(), contractTimeout)
		defer cancel()
		if err := within(ctx, func() error { return app.Stop(ctx) }); err != nil {
			t.Errorf("covettest: contract: App.Stop of a never started app with %q: %v", p.Name(), err)
		}
		if left := newGoroutines(before, leakWait); len(left) > 0 {
			t.Errorf("covettest: contract: %d goroutines left after App.Stop of a never started app with %q:\n%s", len(left), p.Name(), strings.Join(left, "\n\n"))
		}
	})

	for _, failFirst := range []bool{false, true} {
		name := "cleanup after a later Start failed"
		if failFirst {
			name = "cleanup when never started"
		}
		t.Run(name, func(t *testing.T) {
			before := goroutines()
			p := fresh(t)
			app := covet.New()
			failing := FailingStart(errFailingStart)
			plugins := []covet.Plugin{p, failing}
			if failFirst {
				plugins = []covet.Plugin{failing, p}
			}
			if err := app.Install(plugins...); err != nil {
				t.Fatalf("covettest: contract: Install %q: %v", p.Name(), err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), contractTimeout)
			defer cancel()
			err := within(ctx, func() error { return app.Start(ctx) })
			if err == nil || !strings.Contains(err.Error(), errFailingStart.Error()) {
				t.Fatalf("covettest: contract: App.Start with %q and a plugin that fails to start: %v, want the start error", p.Name(), err)
			}
			if left := newGoroutines(before, leakWait); len(left) > 0 {
				t.Errorf("covettest: contract: %d goroutines left after a failed App.Start with %q (stop or clean them up):\n%s", len(left), p.Name(), strings.Join(left, "\n\n"))
			}
			if c, ok := p.(covet.Cleaner); ok {
				if err := within(ctx, c.Cleanup); err != nil {
					t.Errorf("covettest: contract: a second Cleanup of %q: %v", p.Name(), err)
				}
			}
		})
	}

	t.Run("rollback", func(t *testing.T) {
		build := func() *covet.App {
			app := covet.New()
			g := app.Group("/covettest-contract")
			g.GET("/probe", func(c *covet.Context) error { return c.Text(http.StatusOK, "probe") }).Name("covettest.contract.probe").Tags("covettest")
			return app
		}
		want := fingerprint(t, build())
		before := goroutines()
		app := build()
		p := fresh(t)
		err := app.Install(FailingInstall(p, errFailingInstall))
		if err == nil || !strings.Contains(err.Error(), errFailingInstall.Error()) {
			t.Fatalf("covettest: contract: a failing Install that installed %q returned %v", p.Name(), err)
		}
		if got := fingerprint(t, app); got != want {
			t.Errorf("covettest: contract: a failed Install that installed %q changed the app:\n got:\n%s\nwant:\n%s", p.Name(), got, want)
		}
		if left := newGoroutines(before, leakWait); len(left) > 0 {
			t.Errorf("covettest: contract: %d goroutines left after a rolled-back Install of %q:\n%s", len(left), p.Name(), strings.Join(left, "\n\n"))
		}
	})

	t.Run("drain", func(t *testing.T) {
		before := goroutines()
		p := fresh(t)
		app := covet.New()
		probe := &drainProbe{app: app}
		if err := app.Install(p, probe); err != nil {
			t.Fatalf("covettest: contract: Install %q: %v", p.Name(), err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), contractTimeout)
		defer cancel()
		if err := within(ctx, func() error { return app.Start(ctx) }); err != nil {
			t.Fatalf("covettest: contract: App.Start with %q: %v", p.Name(), err)
		}
		select {
		case <-app.Draining():
			t.Fatalf("covettest: contract: with %q started, App.Draining is already closed", p.Name())
		default:
		}
		if err := within(ctx, func() error { return app.Stop(ctx) }); err != nil {
			t.Fatalf("covettest: contract: App.Stop with %q: %v", p.Name(), err)
		}
		if !probe.drained {
			t.Errorf("covettest: contract: the drain signal had not fired when the plugins stopped")
		}
		if left := newGoroutines(before, leakWait); len(left) > 0 {
			t.Errorf("covettest: contract: %d goroutines left after App.Stop with %q (end them in Stop or Cleanup):\n%s", len(left), p.Name(), strings.Join(left, "\n\n"))
		}
	})
}

// leakWait is how long the goroutine checks wait for goroutines that are
// ending (a pool's reaper that exits after Close returned).
const leakWait = 2 * time.Second

var (
	errFailingStart   = errors.New("covettest: contract plugin fails to start")
	errFailingInstall = errors.New("covettest: contract plugin fails to install")
)

// FailingStart returns a plugin (named "covettest-fails-to-start") whose
// Start returns err. Install it after a plugin to see what that plugin
// leaves behind when it was started and the app's start failed (it is
// stopped and cleaned up), or before it to see what a plugin that never
// started leaves behind (it is cleaned up).
func FailingStart(err error) covet.Plugin { return &failingStarter{err: err} }

// FailingInstall returns a plugin (named "covettest-fails-to-install")
// whose Install installs inner, registers a route of its own and then
// returns err, to see that a rolled-back Install leaves nothing of inner.
func FailingInstall(inner covet.Plugin, err error) covet.Plugin {
	return &failingInstall{inner: inner, err: err}
}

// failingStarter is a plugin whose Start fails.
type failingStarter struct{ err error }

func (*failingStarter) Name() string                  { return "covettest-fails-to-start" }
func (*failingStarter) Install(*covet.App) error      { return nil }
func (f *failingStarter) Start(context.Context) error { return f.err }

// failingInstall installs inner, adds a little of its own, then fails.
type failingInstall struct {
	inner covet.Plugin
	err   error
}

func (*failingInstall) Name() string { return "covettest-fails-to-install" }
func (f *failingInstall) Install(app *covet.App) error {
	if err := app.Install(f.inner); err != nil {
		return err
	}
	app.GET("/covettest-contract/extra", func(c *covet.Context) error { return nil })
	return f.err
}

// drainProbe, installed after the plugin under test, stops before it and
// records whether the drain signal had fired.
type drainProbe struct {
	app     *covet.App
	drained bool
}

func (*drainProbe) Name() string             { return "covettest-drain-probe" }
func (*drainProbe) Install(*covet.App) error { return nil }
func (d *drainProbe) Stop(context.Context) error {
	select {
	case <-d.app.Draining():
		d.drained = true
	default:
	}
	return nil
}

var (
	_ covet.Starter = (*failingStarter)(nil)
	_ covet.Stopper = (*drainProbe)(nil)
)

// fingerprint describes an app as a plugin or client sees it: routes with
// their metadata, security schemes, plugins, and the answers to a plain
// route, an unknown path and an automatic OPTIONS.
func fingerprint(t *testing.T, app *covet.App) string {
	t.Helper()
	var b strings.Builder
	for _, ri := range app.Routes() {
		fmt.Fprintf(&b, "route %+v\n", ri)
	}
	schemes := app.SecuritySchemes()
	names := make([]string, 0, len(schemes))
	for n := range schemes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "scheme %s %+v\n", n, schemes[n])
	}
	for _, p := range app.Plugins() {
		fmt.Fprintf(&b, "plugin %s\n", p.Name())
	}
	cl := New(t, app)
	for _, r := range []*Request{
		cl.Get("/covettest-contract/probe"),
		cl.Get("/covettest-contract/extra"),
		cl.Get("/covettest-contract/none"),
		cl.Options("/covettest-contract/probe"),
	} {
		res := r.Do()
		h := res.Header.Clone()
		h.Del("Date")
		fmt.Fprintf(&b, "%d %v %s\n", res.StatusCode, h, res.Body)
	}
	return b.String()
}

// within runs f and fails with a clear error if it outlives ctx by more than
// a grace period: a hook must honour its context.
func within(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done:
			return err
		case <-time.After(time.Second):
			return fmt.Errorf("did not return within %s (its context's deadline)", contractTimeout)
		}
	}
}

// checkStats calls AppendStats once and checks its answer alone and against
// prev, the answer of the call before (nil for the first). It returns the
// answer by series.
func checkStats(t *testing.T, name, when string, sr covet.StatsReporter, prev map[string]covet.Stat) map[string]covet.Stat {
	t.Helper()
	sentinel := covet.Stat{Name: "covettest_sentinel"}
	var got []covet.Stat
	ctx, cancel := context.WithTimeout(context.Background(), contractTimeout)
	defer cancel()
	if err := within(ctx, func() error {
		got = sr.AppendStats([]covet.Stat{sentinel})
		return nil
	}); err != nil {
		t.Fatalf("covettest: contract: %q AppendStats %s: %v", name, when, err)
	}
	if len(got) == 0 || got[0].Name != sentinel.Name {
		t.Fatalf("covettest: contract: %q AppendStats %s did not keep what dst held", name, when)
	}
	series := make(map[string]covet.Stat, len(got)-1)
	for _, s := range got[1:] {
		id := s.Name
		for _, l := range s.Labels {
			id += "," + l.Name + "=" + l.Value
			if !validStatName(l.Name) {
				t.Errorf("covettest: contract: %q stat %s: label name %q is not lower snake case", name, s.Name, l.Name)
			}
		}
		if !validStatName(s.Name) || strings.HasSuffix(s.Name, "_total") {
			t.Errorf("covettest: contract: %q stat name %q: want lower snake case without \"_total\" (exporters add it to counters)", name, s.Name)
		}
		if s.Help == "" {
			t.Errorf("covettest: contract: %q stat %s has no Help", name, s.Name)
		}
		if s.Kind != covet.StatGauge && s.Kind != covet.StatCounter {
			t.Errorf("covettest: contract: %q stat %s has unknown kind %d", name, s.Name, s.Kind)
		}
		if s.Value != s.Value {
			t.Errorf("covettest: contract: %q stat %s is NaN %s", name, id, when)
		}
		if s.Kind == covet.StatCounter && s.Value < 0 {
			t.Errorf("covettest: contract: %q counter %s is %v %s, want >= 0", name, id, s.Value, when)
		}
		if _, dup := series[id]; dup {
			t.Errorf("covettest: contract: %q reports series %s twice %s", name, id, when)
		}
		series[id] = s
	}
	if prev == nil {
		return series
	}
	for id, s := range series {
		p, ok := prev[id]
		if !ok {
			t.Errorf("covettest: contract: %q reports series %s %s that it did not report before", name, id, when)
			continue
		}
		if p.Kind != s.Kind {
			t.Errorf("covettest: contract: %q series %s changed kind %s", name, id, when)
		}
		if s.Kind == covet.StatCounter && s.Value < p.Value {
			t.Errorf("covettest: contract: %q counter %s went down %s: %v then %v", name, id, when, p.Value, s.Value)
		}
	}
	for id := range prev {
		if _, ok := series[id]; !ok {
			t.Errorf("covettest: contract: %q no longer reports series %s %s", name, id, when)
		}
	}
	return series
}

// validStatName says whether s is lower snake case: [a-z][a-z0-9_]*.
func validStatName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
