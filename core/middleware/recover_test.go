package middleware_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

func TestRecoverTurnsPanicInto500Problem(t *testing.T) {
	app, logs := newApp()
	probe := &statusProbe{}
	app.Use(probe.mw, middleware.Recover())
	app.GET("/boom", func(c *covet.Context) error { panic("secret internals") })

	res := covettest.New(t, app).Get("/boom").Do().ExpectStatus(http.StatusInternalServerError)
	p := res.Problem()
	if p.Status != 500 || p.Title != "Internal Server Error" {
		t.Errorf("problem = %+v", p)
	}
	if body := res.Text(); strings.Contains(body, "secret") || strings.Contains(body, "goroutine") {
		t.Errorf("production answer leaks internals: %s", body)
	}
	var pe *covet.PanicError
	if !errors.As(probe.err, &pe) || pe.Value != "secret internals" {
		t.Errorf("middleware outside Recover got error %v, want the *covet.PanicError", probe.err)
	}
	failed := logs.Find(t, "covet: request failed")
	if len(failed) != 1 {
		t.Fatalf("want one error record, got logs:\n%s", logs)
	}
	if stack, _ := failed[0]["stack"].(string); !strings.Contains(stack, "recover_test.go") {
		t.Errorf("logged stack does not show the panicking handler: %q", stack)
	}
}

func TestRecoverKeepsErrorPanicValues(t *testing.T) {
	sentinel := errors.New("db gone")
	app, _ := newApp()
	probe := &statusProbe{}
	app.Use(probe.mw, middleware.Recover())
	app.GET("/", func(c *covet.Context) error { panic(sentinel) })
	covettest.New(t, app).Get("/").Do().ExpectStatus(500)
	if !errors.Is(probe.err, sentinel) {
		t.Errorf("errors.Is(%v, sentinel) = false", probe.err)
	}
}

func TestRecoverAccessLogSees500(t *testing.T) {
	app, logs := newApp()
	app.Use(middleware.AccessLog(), middleware.Recover())
	app.GET("/boom", func(c *covet.Context) error { panic("x") })
	covettest.New(t, app).Get("/boom").Do().ExpectStatus(500)
	recs := logs.Find(t, "request")
	if len(recs) != 1 || recs[0]["status"] != float64(500) || recs[0]["level"] != "ERROR" {
		t.Fatalf("access log records = %v", recs)
	}
	if _, ok := recs[0]["panic"]; ok {
		t.Errorf("a recovered panic is an ordinary 500 to the access log: %v", recs[0])
	}
}

func TestRecoverRepanicsErrAbortHandler(t *testing.T) {
	handled := 0
	app, _ := newApp(covet.WithErrorHandler(func(c *covet.Context, err error) {
		handled++
		covet.DefaultErrorHandler(c, err)
	}))
	app.Use(middleware.Recover())
	app.GET("/", func(c *covet.Context) error { panic(http.ErrAbortHandler) })

	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler passed on", v)
		}
		if handled != 0 {
			t.Errorf("error handler ran %d times for an aborted response", handled)
		}
	}()
	app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("ServeHTTP returned normally")
}

// Issue 13 #3: a panic after the response started must not end the body
// cleanly (a truncated 200 that looks complete); the response is aborted
// and the panic logged with its stack. (Over a real connection:
// core's TestAbortAfterStart*.)
func TestRecoverAfterResponseStartedAborts(t *testing.T) {
	handled := 0
	app, logs := newApp(covet.WithErrorHandler(func(c *covet.Context, err error) {
		handled++
		covet.DefaultErrorHandler(c, err)
	}))
	probe := &statusProbe{}
	app.Use(probe.mw, middleware.RequestID(), middleware.Recover())
	app.GET("/stream", func(c *covet.Context) error {
		c.Response().WriteHeader(http.StatusOK)
		_, _ = c.Response().Write([]byte("partial"))
		panic("mid-stream")
	})
	res := covettest.New(t, app).Get("/stream").Do().ExpectStatus(200).ExpectAborted()
	if string(res.Body) != "partial" {
		t.Errorf("body before the abort = %q", res.Body)
	}
	var pe *covet.PanicError
	if handled != 1 || !errors.As(probe.err, &pe) || probe.status != 200 {
		t.Errorf("error handler runs = %d, error seen outside = %v, status = %d; want 1, the PanicError, 200", handled, probe.err, probe.status)
	}
	failed := logs.Find(t, "covet: request failed")
	if len(failed) != 1 {
		t.Fatalf("want one failure record, logs:\n%s", logs)
	}
	if stack, _ := failed[0]["stack"].(string); !strings.Contains(stack, "recover_test.go") {
		t.Errorf("stack = %q", stack)
	}
	aborted := logs.Find(t, "covet: response aborted: the handler failed after the response started")
	if len(aborted) != 1 {
		t.Fatalf("want one abort record, logs:\n%s", logs)
	}
	r := aborted[0]
	if r["error"] != "panic: mid-stream" || r["route"] != "/stream" || r["request_id"] == nil || r["bytes"] != float64(7) {
		t.Errorf("abort record = %v", r)
	}
}

func TestRecoverDevelopmentPageShowsStack(t *testing.T) {
	app, _ := newApp(covet.WithDevelopment(true))
	app.Use(middleware.Recover())
	app.GET("/boom", func(c *covet.Context) error { panic("dev boom") })
	cl := covettest.New(t, app)
	res := cl.Get("/boom").Header("Accept", "text/html").Do().ExpectStatus(500)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q, want the development page", ct)
	}
	for _, want := range []string{"dev boom", "recover_test.go"} {
		if !strings.Contains(res.Text(), want) {
			t.Errorf("development page lacks %q", want)
		}
	}
	// An API client still gets a problem, even in development.
	cl.Get("/boom").Header("Accept", "application/json").Do().ExpectStatus(500).Problem()
}
