package requestsize_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"

	"github.com/covetgo/covet/contrib/plugins/requestsize"
)

func newApp(t *testing.T, opts ...requestsize.Option) (*covet.App, *requestsize.Plugin) {
	t.Helper()
	app := covet.New(covet.WithHealth())
	app.POST("/echo", func(c *covet.Context) error {
		return c.Stream(http.StatusOK, "application/octet-stream", c.Request().Body)
	})
	app.GET("/items/{id:int}", func(c *covet.Context) error {
		return c.Text(http.StatusOK, strings.Repeat("x", 100))
	})
	app.GET("/fail", func(c *covet.Context) error {
		return covet.NewError(http.StatusTeapot, "short and stout")
	})
	p := requestsize.New(opts...)
	if err := app.Install(p); err != nil {
		t.Fatalf("install: %v", err)
	}
	return app, p
}

func row(t *testing.T, s requestsize.Snapshot, route string) requestsize.RouteSizes {
	t.Helper()
	for _, r := range s.Routes {
		if r.Route == route {
			return r
		}
	}
	t.Fatalf("no row for %q in %+v", route, s.Routes)
	return requestsize.RouteSizes{}
}

func TestMeasuresPerRoute(t *testing.T) {
	app, _ := newApp(t)
	client := covettest.New(t, app)
	client.Post("/echo").Text(strings.Repeat("a", 300)).Do().ExpectStatus(http.StatusOK)
	client.Post("/echo").Text(strings.Repeat("b", 50)).Do().ExpectStatus(http.StatusOK)
	client.Get("/items/7").Do().ExpectStatus(http.StatusOK)
	fail := client.Get("/fail").Do().ExpectStatus(http.StatusTeapot)
	client.Get("/nowhere").Do().ExpectStatus(http.StatusNotFound)

	var s requestsize.Snapshot
	client.Get(requestsize.DefaultPath).Do().ExpectStatus(http.StatusOK).Decode(&s)

	tests := []struct {
		name  string
		route string
		want  requestsize.RouteSizes
	}{
		{"body read by the handler", "POST /echo", requestsize.RouteSizes{Requests: 2, RequestBytes: 350, ResponseBytes: 350, MaxRequest: 300, MaxResponse: 300}},
		{"route pattern, not path", "GET /items/{id:int}", requestsize.RouteSizes{Requests: 1, ResponseBytes: 100, MaxResponse: 100}},
		{"error responses count", "GET /fail", requestsize.RouteSizes{Requests: 1, ResponseBytes: int64(len(fail.Body)), MaxResponse: int64(len(fail.Body))}},
		{"unmatched requests", "unmatched", requestsize.RouteSizes{Requests: 1}},
		{"routes without traffic are listed", "GET /healthz", requestsize.RouteSizes{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := row(t, s, tt.route)
			tt.want.Route = tt.route
			if tt.route == "unmatched" {
				got.ResponseBytes, got.MaxResponse = 0, 0 // the 404 body's size is core's business
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if s.Requests != 5 {
		t.Errorf("total requests %d, want 5 (the stats request itself is counted after it answers)", s.Requests)
	}
}

func TestShowsUpInRoutes(t *testing.T) {
	app, _ := newApp(t, requestsize.WithPath("/_sizes"))
	var found *covet.RouteInfo
	for _, r := range app.Routes() {
		if r.Name == "requestsize.stats" {
			found = &r
		}
	}
	if found == nil {
		t.Fatal("the stats route is not in app.Routes()")
	}
	if found.Method != http.MethodGet || found.Pattern != "/_sizes" || len(found.Tags) != 1 || found.Tags[0] != "requestsize" {
		t.Errorf("stats route = %s %s tags %v, want GET /_sizes tagged requestsize", found.Method, found.Pattern, found.Tags)
	}
	if u, err := app.URL("requestsize.stats"); err != nil || u != "/_sizes" {
		t.Errorf("app.URL(requestsize.stats) = %q, %v", u, err)
	}
}

func TestNoEndpoint(t *testing.T) {
	app, p := newApp(t, requestsize.WithPath(""))
	client := covettest.New(t, app)
	client.Get(requestsize.DefaultPath).Do().ExpectStatus(http.StatusNotFound)
	if s := p.Snapshot(); s.Requests != 1 {
		t.Errorf("requests %d, want 1 (the 404)", s.Requests)
	}
}

func TestHealthThroughReadyz(t *testing.T) {
	app, _ := newApp(t)
	client := covettest.New(t, app)

	var before covet.HealthResponse
	client.Get("/readyz").Do().ExpectStatus(http.StatusServiceUnavailable).Decode(&before)
	if got := before.Plugins["requestsize"].Status; got != covet.HealthDown {
		t.Errorf("readiness before Start: %q, want down", got)
	}
	client.Get("/healthz").Do().ExpectStatus(http.StatusOK)

	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var ready covet.HealthResponse
	client.Get("/readyz").Do().ExpectStatus(http.StatusOK).Decode(&ready)
	if ready.Status != covet.HealthOK || len(ready.Plugins) != 0 { // the public answer names only failing plugins
		t.Errorf("readiness after Start: %+v", ready)
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	client.Get("/readyz").Do().ExpectStatus(http.StatusServiceUnavailable)
}

func TestSummaryLogger(t *testing.T) {
	var buf safeBuffer
	app := covet.New(covet.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	app.GET("/hello", func(c *covet.Context) error { return c.Text(http.StatusOK, "hello") })
	if err := app.Install(requestsize.New(requestsize.WithLogEvery(10 * time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	covettest.New(t, app).Get("/hello").Do().ExpectStatus(http.StatusOK)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), `"GET /hello"=5`) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"GET /hello"=5`) {
		t.Errorf("no summary with GET /hello's 5 response bytes in the log:\n%s", buf.String())
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *safeBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
