package metrics_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	covet "github.com/covetgo/covet/core"

	"github.com/covetgo/covet/plugins/metrics"
)

// The plugin counts every request by route pattern and serves the registry
// on GET /metrics.
func Example() {
	app := covet.New()
	if err := app.Install(metrics.New(metrics.WithRuntimeMetrics(false), metrics.WithSizes(false))); err != nil {
		panic(err)
	}
	app.GET("/tasks/{id:int}", func(c *covet.Context) error { return c.Text(200, "task "+c.Param("id")) })

	for _, path := range []string{"/tasks/1", "/tasks/2", "/nope"} {
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "covet_http_requests_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// covet_http_requests_total{code="2xx",method="GET",route="/tasks/{id:int}"} 2
	// covet_http_requests_total{code="4xx",method="GET",route="unmatched"} 1
}

// Counters other plugins keep (here a rate limiter's, as plugins/ratelimit's
// Limiter.Stats returns them) are read at each scrape; neither module
// imports the other.
func ExampleRateLimit() {
	stats := metrics.RateLimitStats{Allowed: 41, Denied: 1} // metrics.RateLimitStats(limiter.Stats())
	m := metrics.New(metrics.WithRuntimeMetrics(false),
		metrics.WithCollector(metrics.RateLimit(func() metrics.RateLimitStats { return stats })))
	app := covet.New()
	if err := app.Install(m); err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "covet_ratelimit_") {
			fmt.Println(line)
		}
	}
	// Output:
	// covet_ratelimit_allowed_total 41
	// covet_ratelimit_denied_total 1
	// covet_ratelimit_failed_closed_total 0
	// covet_ratelimit_failed_open_total 0
}
