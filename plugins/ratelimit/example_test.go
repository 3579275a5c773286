package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/ratelimit"
)

func ExampleNew() {
	app := covet.New()
	// In memory, on a stopped clock so that the output below is exact
	// however slowly the example runs; an app writes ratelimit.New(), or
	// ratelimit.New(ratelimit.WithBackend(redisstore.New(rdb))) to share
	// limits between instances.
	stopped := func() time.Time { return time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC) }
	limiter := ratelimit.New(ratelimit.WithBackend(ratelimit.NewMemory(ratelimit.WithClock(stopped))))
	if err := app.Install(limiter); err != nil {
		panic(err)
	}
	login := ratelimit.NewPolicy("login", ratelimit.WithLimits(ratelimit.PerMinute(3)))
	app.POST("/login", func(c *covet.Context) error { return c.NoContent(http.StatusNoContent) }).
		With(ratelimit.Apply(login))

	for i := 0; i < 4; i++ {
		req := httptest.NewRequest("POST", "/login", nil)
		req.RemoteAddr = "203.0.113.7:5000"
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		fmt.Printf("%d %s retry-after=%q\n", rec.Code, rec.Header().Get("RateLimit"), rec.Header().Get("Retry-After"))
	}
	// Output:
	// 204 "login";r=2;t=20 retry-after=""
	// 204 "login";r=1;t=40 retry-after=""
	// 204 "login";r=0;t=60 retry-after=""
	// 429 "login";r=0;t=60 retry-after="20"
}

// Example_writeEndpoints limits the write endpoints of a group per client
// (5 a second with bursts of 10, and 1000 a day) and leaves its reads alone.
func Example_writeEndpoints() {
	app := covet.New()
	limiter := ratelimit.New(
		ratelimit.WithTrustedProxies("127.0.0.1"), // the reverse proxy in front of the app
		ratelimit.WithExemptPaths("/healthz", "/readyz"),
	)
	if err := app.Install(limiter); err != nil {
		panic(err)
	}
	writes := ratelimit.NewPolicy("writes",
		ratelimit.WithLimits(ratelimit.PerSecond(5).Burst(10), ratelimit.PerDay(1000)),
		ratelimit.WithMethods("POST", "PUT", "PATCH", "DELETE"),
	)
	api := app.Group("/api").With(ratelimit.Apply(writes))
	api.GET("/tasks", func(c *covet.Context) error { return c.JSON(http.StatusOK, []string{}) })
	api.POST("/tasks", func(c *covet.Context) error { return c.NoContent(http.StatusCreated) })

	for _, method := range []string{"GET", "POST"} {
		req := httptest.NewRequest(method, "/api/tasks", nil)
		req.RemoteAddr = "127.0.0.1:41000"
		req.Header.Set("X-Forwarded-For", "198.51.100.20")
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		fmt.Printf("%s %d policy=%s\n", method, rec.Code, rec.Header().Get("RateLimit-Policy"))
	}
	// Output:
	// GET 200 policy=
	// POST 201 policy="writes.second";q=5;w=1, "writes.day";q=1000;w=86400
}

func ExampleParseLimit() {
	l, err := ratelimit.ParseLimit("100/minute burst 20")
	if err != nil {
		panic(err)
	}
	fmt.Println(l.Count(), l.Period(), l.BurstSize(), l.Algorithm())
	fmt.Println(ratelimit.PerDay(1000).SlidingWindow())
	// Output:
	// 100 1m0s 20 gcra
	// 1000/day sliding
}
