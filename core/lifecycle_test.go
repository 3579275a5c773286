package covet_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// lcPlugin logs its hooks; it may depend on others and fail to start.
type lcPlugin struct {
	name  string
	log   *[]string
	after []string
	fail  bool
}

func (p *lcPlugin) Name() string               { return p.name }
func (p *lcPlugin) Install(*covet.App) error   { *p.log = append(*p.log, "install "+p.name); return nil }
func (p *lcPlugin) StartAfter() []string       { return p.after }
func (p *lcPlugin) Cleanup() error             { *p.log = append(*p.log, "cleanup "+p.name); return nil }
func (p *lcPlugin) Stop(context.Context) error { *p.log = append(*p.log, "stop "+p.name); return nil }
func (p *lcPlugin) Start(context.Context) error {
	*p.log = append(*p.log, "start "+p.name)
	if p.fail {
		return errors.New("cannot start")
	}
	return nil
}

var (
	_ covet.Starter   = (*lcPlugin)(nil)
	_ covet.Stopper   = (*lcPlugin)(nil)
	_ covet.Cleaner   = (*lcPlugin)(nil)
	_ covet.Dependent = (*lcPlugin)(nil)
)

func TestCleanupRule(t *testing.T) {
	tests := []struct {
		name string
		run  func(app *covet.App) error
		fail string // the plugin whose Start fails
		want string
	}{
		{"stopped after a run", func(app *covet.App) error {
			must(t, app.Start(context.Background()))
			return app.Stop(context.Background())
		}, "", "start a,start b,start c,stop c,stop b,stop a,cleanup c,cleanup b,cleanup a"},
		{"never started", func(app *covet.App) error {
			return app.Stop(context.Background())
		}, "", "cleanup c,cleanup b,cleanup a"},
		{"start failed", func(app *covet.App) error {
			err := app.Start(context.Background())
			if err == nil {
				t.Fatal("Start succeeded")
			}
			return app.Stop(context.Background())
		}, "b", "start a,start b,stop a,cleanup c,cleanup b,cleanup a"},
		{"served again", func(app *covet.App) error {
			must(t, app.Start(context.Background()))
			must(t, app.Stop(context.Background()))
			must(t, app.Start(context.Background()))
			return app.Stop(context.Background())
		}, "", "start a,start b,start c,stop c,stop b,stop a,cleanup c,cleanup b,cleanup a," +
			"start a,start b,start c,stop c,stop b,stop a,cleanup c,cleanup b,cleanup a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			app := covet.New()
			for _, n := range []string{"a", "b", "c"} {
				must(t, app.Install(&lcPlugin{name: n, log: &log, fail: n == tt.fail}))
			}
			log = nil
			if err := tt.run(app); err != nil {
				t.Fatal(err)
			}
			// A second Stop does nothing.
			must(t, app.Stop(context.Background()))
			if got := strings.Join(log, ","); got != tt.want {
				t.Errorf("hooks\n got  %s\n want %s", got, tt.want)
			}
		})
	}
}

func TestStartAfterOrdersStartNotMiddleware(t *testing.T) {
	var log []string
	app := covet.New()
	// "cache" is installed first, its middleware sits outside, but it
	// starts after "db" (and after "absent", which is not installed).
	must(t, app.Install(
		&lcPlugin{name: "cache", log: &log, after: []string{"db", "absent"}},
		&lcPlugin{name: "web", log: &log},
		&lcPlugin{name: "db", log: &log},
	))
	log = nil
	must(t, app.Start(context.Background()))
	must(t, app.Stop(context.Background()))
	want := "start web,start db,start cache,stop cache,stop db,stop web,cleanup cache,cleanup db,cleanup web"
	if got := strings.Join(log, ","); got != want {
		t.Errorf("hooks\n got  %s\n want %s", got, want)
	}
}

func TestStartAfterCycleFails(t *testing.T) {
	var log []string
	app := covet.New()
	must(t, app.Install(
		&lcPlugin{name: "x", log: &log, after: []string{"y"}},
		&lcPlugin{name: "y", log: &log, after: []string{"x"}},
		&lcPlugin{name: "z", log: &log},
	))
	err := app.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), `plugins "x", "y" wait for each other`) {
		t.Fatalf("Start error %v", err)
	}
}

// phaseTag appends name to X-Order on the way in.
func phaseTag(name string) covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			c.Response().Header().Add("X-Order", name)
			return next(c)
		}
	}
}

// phasePlugin adds its middleware at a phase.
type phasePlugin struct {
	name  string
	phase covet.Phase
}

func (p phasePlugin) Name() string { return p.name }
func (p phasePlugin) Install(app *covet.App) error {
	app.UseAt(p.phase, phaseTag(p.name))
	return nil
}

func TestPhasesIgnoreInstallOrder(t *testing.T) {
	plugins := []covet.Plugin{
		phasePlugin{"cache", covet.PhaseCache},
		phasePlugin{"metrics", covet.PhaseObserve},
		phasePlugin{"tx", covet.PhaseResource},
		phasePlugin{"cors", covet.PhaseEdge},
		phasePlugin{"limit", covet.PhaseGuard},
		phasePlugin{"gzip", covet.PhaseEncode},
	}
	want := "metrics,cors,first,app1,app2,gzip,limit,cache,tx,group"
	// Every rotation and its reverse, with the app's own Use calls before,
	// between and after the installs.
	for i := range plugins {
		for _, rev := range []bool{false, true} {
			order := append(append([]covet.Plugin{}, plugins[i:]...), plugins[:i]...)
			if rev {
				for l, r := 0, len(order)-1; l < r; l, r = l+1, r-1 {
					order[l], order[r] = order[r], order[l]
				}
			}
			app := covet.New()
			must(t, app.Install(order[:2]...))
			app.Use(phaseTag("app1"))
			must(t, app.Install(order[2:4]...))
			app.UseAt(covet.PhaseApp-1, phaseTag("first"))
			app.Use(phaseTag("app2"))
			must(t, app.Install(order[4:]...))
			app.Group("", phaseTag("group")).GET("/", func(c *covet.Context) error { return c.NoContent(http.StatusNoContent) })
			res := covettest.New(t, app).Get("/").Do()
			if got := strings.Join(res.Header.Values("X-Order"), ","); got != want {
				t.Errorf("rotation %d reversed %v: order %s, want %s", i, rev, got, want)
			}
		}
	}
}

func TestPhaseString(t *testing.T) {
	for p, want := range map[covet.Phase]string{
		covet.PhaseGuard: "guard", covet.PhaseGuard + 5: "guard+5", covet.PhaseObserve - 1: "observe-1", covet.PhaseApp: "app",
	} {
		if got := p.String(); got != want {
			t.Errorf("%d: %q, want %q", int(p), got, want)
		}
	}
}
