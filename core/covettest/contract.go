package covettest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
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
//   - routes: ObserveRoutes, if implemented, accepts the app's routes.
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
