package covet_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// TestOnDone checks that callbacks run after the response (and after the
// error handler), last registered first, also when the handler panicked or
// a callback panics.
func TestOnDone(t *testing.T) {
	var logs bytes.Buffer
	app := covet.New(covet.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	var mu sync.Mutex
	var order []string
	add := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	app.GET("/ok", func(c *covet.Context) error {
		c.OnDone(func() { add("first") })
		c.OnDone(func() { add("second:written=" + boolText(c.Response().Written())) })
		return c.Text(200, "ok")
	})
	app.GET("/err", func(c *covet.Context) error {
		c.OnDone(func() { add("done:status=" + http.StatusText(c.Response().Status())) })
		return covet.NewError(http.StatusTeapot, "tea")
	})
	app.GET("/panic", func(c *covet.Context) error {
		c.OnDone(func() { add("after panic") })
		c.OnDone(func() { panic("callback failed") })
		panic("handler failed")
	})
	cl := covettest.New(t, app)
	check := func(path string, status int, want ...string) {
		t.Helper()
		mu.Lock()
		order = nil
		mu.Unlock()
		cl.Get(path).Do().ExpectStatus(status)
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(order, "|") != strings.Join(want, "|") {
			t.Errorf("%s: callbacks %q, want %q", path, order, want)
		}
	}
	check("/ok", 200, "second:written=true", "first")
	check("/err", http.StatusTeapot, "done:status=I'm a teapot")
	check("/panic", 500, "after panic")
	if !strings.Contains(logs.String(), "OnDone callback panicked") || !strings.Contains(logs.String(), "callback failed") {
		t.Errorf("the panicking callback was not logged:\n%s", logs.String())
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestResponseBefore checks that the hooks run once, just before the status
// is sent, can still set headers, and run when the handlers wrote nothing
// or when the error handler writes the response.
func TestResponseBefore(t *testing.T) {
	app := covet.New()
	hook := func(c *covet.Context, counter *int) {
		c.Response().Before(func() {
			*counter++
			if c.Response().Written() {
				t.Error("Before ran after the headers were sent")
			}
			c.Response().Header().Add("X-Before", "1")
		})
	}
	var n int
	app.GET("/text", func(c *covet.Context) error {
		hook(c, &n)
		c.Response().Before(func() { c.Response().Header().Add("X-Before", "2") })
		if err := c.Text(200, "hi"); err != nil {
			return err
		}
		c.Response().Flush()
		c.Response().WriteHeader(500) // ignored: the hooks do not run again
		return nil
	})
	app.GET("/nothing", func(c *covet.Context) error { hook(c, &n); return nil })
	app.GET("/err", func(c *covet.Context) error { hook(c, &n); return errors.New("boom") })
	app.GET("/late", func(c *covet.Context) error {
		_ = c.Text(200, "x")
		hook(c, &n) // too late: never called
		return nil
	})
	app.GET("/reset", func(c *covet.Context) error {
		hook(c, &n)
		res := c.Response()
		orig := res.Writer()
		buf := httptest.NewRecorder()
		res.SetWriter(buf)
		_ = c.Text(200, "discarded")
		res.Reset(orig) // a buffered answer thrown away: the hooks run again
		return c.Text(409, "again")
	})
	cl := covettest.New(t, app)
	for _, tc := range []struct {
		path   string
		status int
		want   string
		calls  int
	}{
		{"/text", 200, "1,2", 1},
		{"/nothing", 200, "1", 1},
		{"/err", 500, "1", 1},
		{"/late", 200, "", 0},
		{"/reset", 409, "1", 2},
	} {
		n = 0
		r := cl.Get(tc.path).Do().ExpectStatus(tc.status)
		if got := strings.Join(r.Header.Values("X-Before"), ","); got != tc.want {
			t.Errorf("%s: X-Before %q, want %q", tc.path, got, tc.want)
		}
		if n != tc.calls {
			t.Errorf("%s: hook ran %d times, want %d", tc.path, n, tc.calls)
		}
	}
}

// headerHook is a BeforeHook: it adds its value to X-Before.
type headerHook struct {
	value string
	res   *covet.Response // the Response it was given
}

func (h *headerHook) BeforeWrite(r *covet.Response) {
	h.res = r
	r.Header().Add("X-Before", h.value)
}

// TestResponseOnBeforeWrite: hooks registered as values run with the
// Before hooks, in registration order, once, and are given the Response;
// registering one allocates nothing.
func TestResponseOnBeforeWrite(t *testing.T) {
	app := covet.New()
	var got *headerHook
	app.GET("/", func(c *covet.Context) error {
		got = &headerHook{value: "1"}
		c.Response().OnBeforeWrite(got)
		c.Response().Before(func() { c.Response().Header().Add("X-Before", "2") })
		c.Response().OnBeforeWrite(&headerHook{value: "3"})
		c.Response().OnBeforeWrite(nil) // ignored
		if got.res != nil {
			t.Error("the hook ran before the response started")
		}
		if err := c.Text(200, "hi"); err != nil {
			return err
		}
		if got.res != c.Response() {
			t.Errorf("the hook was given %p, want the Response %p", got.res, c.Response())
		}
		return nil
	})
	hook := new(countHook)
	app.GET("/allocs", func(c *covet.Context) error {
		c.Response().OnBeforeWrite(hook)
		return c.Text(200, "hi")
	})
	cl := covettest.New(t, app)
	r := cl.Get("/").Do().ExpectStatus(200)
	if v := strings.Join(r.Header.Values("X-Before"), ","); v != "1,2,3" {
		t.Errorf("X-Before %q, want 1,2,3", v)
	}
	req := httptest.NewRequest("GET", "/allocs", nil)
	w := httptest.NewRecorder()
	bare := testing.AllocsPerRun(100, func() { clear(w.Header()); app.ServeHTTP(w, req) })
	app2 := covet.New()
	app2.GET("/allocs", func(c *covet.Context) error { return c.Text(200, "hi") })
	without := testing.AllocsPerRun(100, func() { clear(w.Header()); app2.ServeHTTP(w, req) })
	if *hook == 0 {
		t.Error("the counting hook never ran")
	}
	if bare > without {
		t.Errorf("OnBeforeWrite of a pointer costs %.1f allocations per request (%.1f vs %.1f), want 0", bare-without, bare, without)
	}
}

// countHook counts its runs (and allocates nothing).
type countHook int

func (h *countHook) BeforeWrite(*covet.Response) { *h++ }
