package metrics_test

import (
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/metrics"
)

func TestProfilingOffByDefault(t *testing.T) {
	app, _ := newApp(t)
	c := covettest.New(t, app)
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline", "/debug/pprof/trace"} {
		c.Get(p).Do().ExpectStatus(404)
	}
}

func TestProfilingNeedsAGuard(t *testing.T) {
	err := covet.New().Install(metrics.New(metrics.WithProfiling(true)))
	if err == nil || !strings.Contains(err.Error(), "WithProfiling needs WithBasicAuth or WithAllowedIPs") {
		t.Errorf("open profiling installed: err = %v", err)
	}
}

func TestProfilingGuarded(t *testing.T) {
	t.Run("basic auth", func(t *testing.T) {
		app, _ := newApp(t, metrics.WithProfiling(true), metrics.WithBasicAuth("ops", "s3cret"))
		c := covettest.New(t, app)
		ok := basic("ops", "s3cret")
		for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/cmdline", "/debug/pprof/trace?seconds=0.05"} {
			c.Get(p).Do().ExpectStatus(401)
			c.Get(p).Header("Authorization", basic("ops", "wrong")).Do().ExpectStatus(401)
			c.Get(p).Header("Authorization", ok).Do().ExpectStatus(200)
		}
		c.Get("/debug/pprof/").Header("Authorization", ok).Do().ExpectBodyContains("goroutine")
		c.Get("/debug/pprof/heap?debug=1").Header("Authorization", ok).Do().ExpectBodyContains("heap profile")
		c.Post("/debug/pprof/symbol").Do().ExpectStatus(401)
	})
	t.Run("allowed IPs", func(t *testing.T) {
		app, _ := newApp(t, metrics.WithProfiling(true), metrics.WithAllowedIPs("10.0.0.0/8"))
		c := covettest.New(t, app)
		c.Get("/debug/pprof/goroutine?debug=1").RemoteAddr("203.0.113.9:5000").Do().ExpectStatus(403)
		c.Get("/debug/pprof/goroutine?debug=1").RemoteAddr("10.1.2.3:5000").Do().ExpectStatus(200).ExpectBodyContains("goroutine profile")
	})
	t.Run("separate listener", func(t *testing.T) {
		app, m := newApp(t, metrics.WithProfiling(true), metrics.WithListener("127.0.0.1:0"), metrics.WithBasicAuth("ops", "s3cret"))
		if err := app.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = app.Stop(t.Context()) })
		if got := do(app, "GET", "/debug/pprof/"); got != 404 {
			t.Errorf("app's /debug/pprof/ = %d with a separate listener, want 404", got)
		}
		get := func(auth bool) int {
			req, _ := http.NewRequest("GET", "http://"+m.ListenerAddr()+"/debug/pprof/cmdline", nil)
			if auth {
				req.SetBasicAuth("ops", "s3cret")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if got := get(false); got != 401 {
			t.Errorf("listener without credentials: %d, want 401", got)
		}
		if got := get(true); got != 200 {
			t.Errorf("listener with credentials: %d, want 200", got)
		}
	})
}
