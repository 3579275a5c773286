package middleware_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

func accessApp(opts ...middleware.AccessLogOption) (*covet.App, *logBuffer, *int) {
	handled := new(int)
	app, logs := newApp(covet.WithErrorHandler(func(c *covet.Context, err error) {
		*handled++
		covet.DefaultErrorHandler(c, err)
	}))
	app.Use(middleware.RequestID(), middleware.AccessLog(opts...))
	app.POST("/users/{id:int}", func(c *covet.Context) error { return c.Text(http.StatusCreated, "created") })
	app.GET("/invalid", func(c *covet.Context) error { return covet.NewError(http.StatusUnprocessableEntity, "bad") })
	app.GET("/broken", func(c *covet.Context) error { return http.ErrBodyNotAllowed })
	app.GET("/healthz", func(c *covet.Context) error {
		if c.Query("fail") != "" {
			return covet.NewError(http.StatusServiceUnavailable, "down")
		}
		return c.Text(200, "ok")
	})
	app.GET("/empty", func(c *covet.Context) error { return nil })
	app.GET("/panic", func(c *covet.Context) error { panic("unrecovered") })
	return app, logs, handled
}

func TestAccessLogRecord(t *testing.T) {
	app, logs, _ := accessApp()
	covettest.New(t, app).Post("/users/42").Header("User-Agent", "test-agent/1.0").
		Header("X-Request-ID", "req-1").RemoteAddr("203.0.113.7:5555").Text("hi").Do().ExpectStatus(201)
	recs := logs.Find(t, "request")
	if len(recs) != 1 {
		t.Fatalf("want one record, got:\n%s", logs)
	}
	r := recs[0]
	want := map[string]any{
		"level": "INFO", "method": "POST", "route": "/users/{id:int}", "path": "/users/42",
		"status": float64(201), "bytes": float64(len("created")), "request_id": "req-1",
		"remote_ip": "203.0.113.7", "user_agent": "test-agent/1.0",
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %v (%T), want %v", k, r[k], r[k], v)
		}
	}
	if d, ok := r["duration"].(float64); !ok || d <= 0 {
		t.Errorf("duration = %v, want a positive number of nanoseconds", r["duration"])
	}
}

func TestAccessLogStatusAndLevel(t *testing.T) {
	tests := []struct {
		name, path string
		status     int
		level      string
		route      string
	}{
		{"success", "/healthz", 200, "INFO", "/healthz"},
		{"nothing written", "/empty", 200, "INFO", "/empty"},
		{"client error", "/invalid", 422, "WARN", "/invalid"},
		{"server error", "/broken", 500, "ERROR", "/broken"},
		{"no route", "/nowhere", 404, "WARN", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, logs, handled := accessApp()
			covettest.New(t, app).Get(tt.path).Do().ExpectStatus(tt.status)
			recs := logs.Find(t, "request")
			if len(recs) != 1 {
				t.Fatalf("want one record, got:\n%s", logs)
			}
			r := recs[0]
			if r["status"] != float64(tt.status) || r["level"] != tt.level || r["route"] != tt.route {
				t.Errorf("status, level, route = %v, %v, %q; want %d, %s, %q", r["status"], r["level"], r["route"], tt.status, tt.level, tt.route)
			}
			wantHandled := 0
			if tt.status >= 400 {
				wantHandled = 1
			}
			if *handled != wantHandled {
				t.Errorf("error handler ran %d times, want %d", *handled, wantHandled)
			}
		})
	}
}

func TestAccessLogPassesTheErrorOn(t *testing.T) {
	app, logs := newApp()
	probe := &statusProbe{}
	app.Use(probe.mw, middleware.AccessLog())
	app.GET("/", func(c *covet.Context) error { return covet.NewError(http.StatusTeapot, "short and stout") })
	covettest.New(t, app).Get("/").Do().ExpectStatus(http.StatusTeapot)
	var e *covet.Error
	if !errors.As(probe.err, &e) || e.Status != http.StatusTeapot || probe.status != 0 {
		t.Errorf("outside AccessLog: error %v, status %d; want the 418 error, not yet rendered", probe.err, probe.status)
	}
	recs := logs.Find(t, "request")
	if len(recs) != 1 || recs[0]["status"] != float64(http.StatusTeapot) || recs[0]["bytes"].(float64) == 0 {
		t.Errorf("records = %v, want one with the rendered 418", recs)
	}
}

func TestAccessLogPanicPassingThrough(t *testing.T) {
	app, logs, _ := accessApp()
	covettest.New(t, app).Get("/panic").Do().ExpectStatus(500)
	recs := logs.Find(t, "request")
	if len(recs) != 1 || recs[0]["status"] != float64(500) || recs[0]["panic"] != true || recs[0]["level"] != "ERROR" {
		t.Fatalf("records = %v", recs)
	}
}

func TestAccessLogSkip(t *testing.T) {
	skipHealthy := middleware.WithAccessLogSkip(func(c *covet.Context) bool {
		rt := c.Route()
		return rt != nil && rt.Pattern == "/healthz" && c.Response().Status() < 400
	})
	app, logs, _ := accessApp(skipHealthy)
	cl := covettest.New(t, app)
	cl.Get("/healthz").Do().ExpectStatus(200)
	cl.Get("/healthz").Query("fail", "1").Do().ExpectStatus(503)
	cl.Get("/empty").Do().ExpectStatus(200)
	recs := logs.Find(t, "request")
	if len(recs) != 2 || recs[0]["status"] != float64(503) || recs[1]["path"] != "/empty" {
		t.Errorf("records = %v, want the failing health check and /empty", recs)
	}
}

func TestAccessLogOptions(t *testing.T) {
	t.Run("level function", func(t *testing.T) {
		app, logs, _ := accessApp(middleware.WithAccessLogLevel(func(status int) slog.Level { return slog.LevelDebug }))
		covettest.New(t, app).Get("/broken").Do().ExpectStatus(500)
		if recs := logs.Find(t, "request"); len(recs) != 1 || recs[0]["level"] != "DEBUG" {
			t.Errorf("records = %v", recs)
		}
	})
	t.Run("logger and message", func(t *testing.T) {
		own := &logBuffer{}
		l := slog.New(slog.NewJSONHandler(own, nil))
		app, appLogs, _ := accessApp(middleware.WithAccessLogger(l), middleware.WithAccessLogMessage("http"))
		covettest.New(t, app).Get("/healthz").Header("X-Request-ID", "r-9").Do().ExpectStatus(200)
		recs := own.Find(t, "http")
		if len(recs) != 1 || recs[0]["request_id"] != "r-9" {
			t.Errorf("own logger records = %v", recs)
		}
		if len(appLogs.Find(t, "request")) != 0 || len(appLogs.Find(t, "http")) != 0 {
			t.Errorf("the app's logger got access records: %s", appLogs)
		}
	})
	t.Run("level disabled", func(t *testing.T) {
		own := &logBuffer{}
		l := slog.New(slog.NewJSONHandler(own, &slog.HandlerOptions{Level: slog.LevelWarn}))
		app, _, _ := accessApp(middleware.WithAccessLogger(l))
		cl := covettest.New(t, app)
		cl.Get("/healthz").Do()
		cl.Get("/invalid").Do()
		if recs := own.Find(t, "request"); len(recs) != 1 || recs[0]["status"] != float64(422) {
			t.Errorf("records = %v, want only the 422", recs)
		}
	})
}

// The development default is readable text, production's is JSON: both come
// from the app's logger, which AccessLog uses unless told otherwise.
func TestAccessLogUsesTheAppLogger(t *testing.T) {
	logs := &logBuffer{}
	app := covet.New(covet.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	app.Use(middleware.AccessLog())
	app.GET("/", func(c *covet.Context) error { return c.Text(200, "ok") })
	serve(app, httptest.NewRequest("GET", "/", nil))
	if got := logs.String(); !strings.Contains(got, `msg=request method=GET route=/ path=/ status=200`) {
		t.Errorf("text record = %q", got)
	}
}
