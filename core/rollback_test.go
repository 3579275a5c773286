package covet_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/command"
	"github.com/covetgo/covet/core/covettest"
)

var errStored = errors.New("store: duplicate")

// rollbackApp builds the same app every time: app, group and route
// middleware, a named route in a group, a security scheme, a plugin.
func rollbackApp(t *testing.T) (*covet.App, *covet.Group, *covet.Route) {
	t.Helper()
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	app.Use(setHeader("X-App", "1"))
	app.SecurityScheme("bearer", covet.SecurityScheme{Type: "http", Scheme: "bearer"})
	g := app.Group("/api", setHeader("X-Group", "1"))
	rt := g.GET("/items/{id:int}", func(c *covet.Context) error {
		return c.Text(http.StatusOK, "item "+c.Param("id"))
	}).Name("item").Tags("items")
	g.POST("/items", func(c *covet.Context) error {
		var v map[string]any
		if err := c.BindJSON(&v); err != nil {
			return err
		}
		return c.NoContent(http.StatusCreated)
	})
	app.GET("/fail", func(c *covet.Context) error { return errStored })
	must(t, app.Install(&cleanPlugin{name: "base"}))
	return app, g, rt
}

func setHeader(k, v string) covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			c.Response().Header().Add(k, v)
			return next(c)
		}
	}
}

// cleanPlugin records Cleanup; install runs as its Install.
type cleanPlugin struct {
	name     string
	install  func(*covet.App) error
	cleanups int
	observed int
}

func (p *cleanPlugin) Name() string { return p.name }
func (p *cleanPlugin) Install(app *covet.App) error {
	if p.install != nil {
		return p.install(app)
	}
	return nil
}
func (p *cleanPlugin) Cleanup() error { p.cleanups++; return nil }
func (p *cleanPlugin) ObserveRoutes([]covet.RouteInfo) error {
	p.observed++
	return nil
}

var (
	_ covet.Cleaner       = (*cleanPlugin)(nil)
	_ covet.RouteObserver = (*cleanPlugin)(nil)
)

var rollbackNote = covet.NewMetaKey[string]("rollback.note")

// appState is what an app looks like from outside: its routes (with
// metadata), schemes, plugins and its answers to a set of requests.
func appState(t *testing.T, app *covet.App) string {
	t.Helper()
	var b strings.Builder
	for _, ri := range app.Routes() {
		note, _ := rollbackNote.Get(&ri)
		fmt.Fprintf(&b, "route %+v note=%q\n", ri, note)
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
	url, err := app.URL("item", "id", 7)
	fmt.Fprintf(&b, "url item %s %v\n", url, err)
	_, err = app.URL("extra")
	fmt.Fprintf(&b, "url extra %v\n", err)
	cl := covettest.New(t, app)
	probes := []*covettest.Request{
		cl.Get("/api/items/7"),
		cl.Get("/api/items/x"),
		cl.Post("/api/items").RawJSON(`{"name":"` + strings.Repeat("a", 200) + `"}`),
		cl.Get("/fail"),
		cl.Get("/extra"),
		cl.Get("/api/extra"),
		cl.Options("/api/items/7"),
		cl.Request("PURGE", "/api/items/7"),
	}
	for _, r := range probes {
		res := r.Do()
		hdr := res.Header.Clone()
		hdr.Del("Date")
		fmt.Fprintf(&b, "%d %v %s\n", res.StatusCode, hdr, res.Body)
	}
	return b.String()
}

// TestFailedInstallRollsBackEverything installs, for each kind of thing a
// plugin can register, a plugin that registers it and fails, and shows the
// app is exactly as an app where that plugin was never installed: same
// routes and metadata, schemes, plugins, URLs and answers.
func TestFailedInstallRollsBackEverything(t *testing.T) {
	translate := func(app *covet.App) {
		app.TranslateErrors(func(c *covet.Context, err error) *covet.Error {
			if errors.Is(err, errStored) {
				return covet.NewError(http.StatusConflict, "taken")
			}
			return nil
		})
	}
	tests := []struct {
		name    string
		install func(app *covet.App, g *covet.Group, rt *covet.Route) error
	}{
		{"app middleware", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			app.Use(setHeader("X-Extra", "use"))
			return nil
		}},
		{"phased middleware", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			app.UseAt(covet.PhaseEdge, setHeader("X-Extra", "edge"))
			app.UseAt(covet.PhaseResource, setHeader("X-Extra", "resource"))
			return nil
		}},
		{"UseAt", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			app.UseAt(covet.PhaseApp-1, setHeader("X-Extra", "first"))
			return nil
		}},
		{"pre middleware", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			app.Pre(setHeader("X-Extra", "pre"))
			return nil
		}},
		{"Group.Use on an existing group", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			g.Use(setHeader("X-Extra", "group"))
			return nil
		}},
		{"Group.With on an existing group", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			g.With(covet.Tag("extra", "items"), covet.Secured("bearer", "admin"), rollbackNote.Set("noted"),
				covet.UseMiddleware(setHeader("X-Extra", "route")), covet.BodyLimit(10),
				func(r *covet.Route) {
					r.Summary("changed").Response(http.StatusTeapot, "tea", nil).Deprecated().Hidden()
				})
			return nil
		}},
		{"Route.With and setters on an existing route", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			rt.With(rollbackNote.Set("noted")).Use(setHeader("X-Extra", "route")).Name("renamed").Security("bearer")
			return nil
		}},
		{"routes, groups and mounts", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			app.GET("/extra", func(c *covet.Context) error { return c.Text(200, "extra") }).Name("extra")
			g.GET("/extra", func(c *covet.Context) error { return c.Text(200, "extra") })
			g.Handle("PURGE", "/items/{id:int}", func(c *covet.Context) error { return c.NoContent(204) })
			app.Group("/more").GET("/x", func(c *covet.Context) error { return nil })
			app.Mount("/mounted", http.NotFoundHandler())
			return nil
		}},
		{"security schemes", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			app.SecurityScheme("bearer", covet.SecurityScheme{Type: "apiKey", In: "header", Name: "X-Key"})
			app.SecurityScheme("extra", covet.SecurityScheme{Type: "http", Scheme: "basic"})
			return nil
		}},
		{"error translators", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			translate(app)
			covet.TranslateError(app, func(c *covet.Context, e *covet.Error) *covet.Error { return nil })
			return nil
		}},
		{"error handler wrappers", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			app.WrapErrorHandler(func(next covet.ErrorHandler) covet.ErrorHandler {
				return func(c *covet.Context, err error) {
					c.Response().Header().Set("WWW-Authenticate", "Bearer")
					next(c, err)
				}
			})
			return nil
		}},
		{"response documenters", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			app.DocumentResponses(func(ri *covet.RouteInfo) []covet.ResponseDoc {
				return []covet.ResponseDoc{{Status: http.StatusTooManyRequests}}
			})
			return nil
		}},
		{"nested installs", func(app *covet.App, g *covet.Group, rt *covet.Route) error {
			return app.Install(&cleanPlugin{name: "nested", install: func(app *covet.App) error {
				app.GET("/extra", func(c *covet.Context) error { return c.Text(200, "extra") })
				g.Use(setHeader("X-Extra", "nested"))
				translate(app)
				return app.Install(&cleanPlugin{name: "nested-deeper"})
			}})
		}},
	}
	want := func() string { app, _, _ := rollbackApp(t); return appState(t, app) }()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, g, rt := rollbackApp(t)
			bad := &cleanPlugin{name: "bad", install: func(app *covet.App) error {
				if err := tt.install(app, g, rt); err != nil {
					return err
				}
				return errors.New("missing setting")
			}}
			err := app.Install(bad)
			if err == nil || !strings.Contains(err.Error(), `install plugin "bad": missing setting`) {
				t.Fatalf("Install error %v", err)
			}
			if bad.cleanups != 1 {
				t.Errorf("Cleanup ran %d times for the failed plugin, want 1", bad.cleanups)
			}
			if got := appState(t, app); got != want {
				t.Errorf("app after a failed install differs from the app without it:\n got:\n%s\nwant:\n%s", got, want)
			}
			if bad.observed != 0 {
				t.Errorf("the failed plugin observed routes")
			}
		})
	}
}

// TestFailedInstallCleansUpNestedPlugins shows that plugins installed by a
// failed Install are removed and cleaned up, innermost first, and are not
// told of routes.
func TestFailedInstallCleansUpNestedPlugins(t *testing.T) {
	app := covet.New()
	inner := &cleanPlugin{name: "inner"}
	outer := &cleanPlugin{name: "outer", install: func(app *covet.App) error {
		if err := app.Install(inner); err != nil {
			return err
		}
		return errors.New("no")
	}}
	if err := app.Install(outer); err == nil {
		t.Fatal("Install succeeded")
	}
	if inner.cleanups != 1 || outer.cleanups != 1 {
		t.Errorf("cleanups inner %d outer %d, want 1 each", inner.cleanups, outer.cleanups)
	}
	if app.Plugin("inner") != nil || len(app.Plugins()) != 0 {
		t.Errorf("plugins after rollback: %d", len(app.Plugins()))
	}
	covettest.New(t, app).Get("/").Do().ExpectStatus(http.StatusNotFound)
	if inner.observed != 0 {
		t.Error("a rolled-back nested plugin observed routes")
	}
	// The name is free again.
	must(t, func() error { a := covet.New(); return a.Install(&cleanPlugin{name: "inner"}) }())
}

type rollbackTenant struct{ Name string }

// TestFailedInstallRollsBackProviders shows that a provider registered by a
// failed Install is gone: Resolve finds none, and the type can be provided
// again (a second Provide of a type panics otherwise).
func TestFailedInstallRollsBackProviders(t *testing.T) {
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	bad := &cleanPlugin{name: "bad", install: func(app *covet.App) error {
		covet.Provide(app, func(c *covet.Context) (*rollbackTenant, error) { return &rollbackTenant{"bad"}, nil })
		return errors.New("no")
	}}
	if err := app.Install(bad); err == nil {
		t.Fatal("Install succeeded")
	}
	app.GET("/before", func(c *covet.Context) error {
		if _, err := covet.Resolve[*rollbackTenant](c); err == nil {
			return c.Text(http.StatusOK, "resolved")
		}
		return c.Text(http.StatusOK, "no provider")
	})
	covettest.New(t, app).Get("/before").Do().ExpectStatus(http.StatusOK).ExpectBody("no provider")

	app = covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	if err := app.Install(bad); err == nil {
		t.Fatal("Install succeeded")
	}
	covet.Provide(app, func(c *covet.Context) (*rollbackTenant, error) { return &rollbackTenant{"good"}, nil })
	covet.Get(app, "/tenant", func(c *covet.Context, in *struct{ T *rollbackTenant }) (*string, error) {
		return &in.T.Name, nil
	})
	covettest.New(t, app).Get("/tenant").Do().ExpectStatus(http.StatusOK).ExpectBody(`"good"`)
}

// TestFailedInstallRollsBackCommandsAndTasks shows that commands and App.Go
// tasks registered by a failed Install are gone: the command's name is free
// and not listed, the task never runs.
func TestFailedInstallRollsBackCommandsAndTasks(t *testing.T) {
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	app.AddCommand(command.Command{Name: "keep", Run: func(context.Context, []string, io.Writer) error { return nil }})
	var ran atomic.Bool
	bad := &cleanPlugin{name: "bad", install: func(app *covet.App) error {
		app.AddCommand(command.Command{Name: "seed", Run: func(context.Context, []string, io.Writer) error { return nil }})
		if err := app.Go("bad", func(context.Context) { ran.Store(true) }); err != nil {
			return err
		}
		return errors.New("no")
	}}
	if err := app.Install(bad); err == nil {
		t.Fatal("Install succeeded")
	}
	var names []string
	for _, c := range app.Commands() {
		names = append(names, c.Name)
	}
	if slices.Contains(names, "seed") || !slices.Contains(names, "keep") {
		t.Errorf("commands after rollback: %v", names)
	}
	// The name is free again (AddCommand panics on a name used twice).
	app.AddCommand(command.Command{Name: "seed", Run: func(context.Context, []string, io.Writer) error { return nil }})
	done := make(chan struct{})
	must(t, app.Go("good", func(context.Context) { close(done) }))
	must(t, app.Start(context.Background()))
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the App.Go task did not run")
	}
	must(t, app.Stop(context.Background())) // waits for every task: the rolled-back one would have run by now
	if ran.Load() {
		t.Error("an App.Go task of a failed Install ran")
	}
}
