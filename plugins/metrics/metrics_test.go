package metrics_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/covetgo/covet/plugins/metrics"
)

func TestContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin { return metrics.New() })
}

func TestCountsMatchRequests(t *testing.T) {
	app, _ := newApp(t)
	sent := []struct {
		method, path string
		n            int
		status       int
	}{
		{"GET", "/plain", 3, 200},
		{"GET", "/users/1", 2, 200},
		{"GET", "/users/22", 3, 200},
		{"POST", "/users", 1, 201},
		{"GET", "/fail", 2, 409},
		{"GET", "/boom", 1, 500},
		{"GET", "/quiet", 1, 200},
		{"GET", "/nope", 2, 404},
		{"GET", "/users/abc", 1, 404}, // fails the int converter: unmatched
		{"HEAD", "/plain", 1, 200},
		{"DELETE", "/plain", 1, 405},
		{"BREW", "/plain", 1, 405},
	}
	for _, s := range sent {
		for range s.n {
			if got := do(app, s.method, s.path); got != s.status {
				t.Fatalf("%s %s: status %d, want %d", s.method, s.path, got, s.status)
			}
		}
	}
	fams := scrape(t, app, "/metrics")
	const reqs = "covet_http_requests_total"
	for _, w := range []struct {
		name                 string
		method, route, class string
		want                 float64
	}{
		{"plain", "GET", "/plain", "2xx", 3},
		{"pattern, not path", "GET", "/users/{id:int}", "2xx", 5},
		{"post", "POST", "/users", "2xx", 1},
		{"error after handler", "GET", "/fail", "4xx", 2},
		{"panic", "GET", "/boom", "5xx", 1},
		{"nothing written", "GET", "/quiet", "2xx", 1},
		{"unmatched", "GET", metrics.UnmatchedRoute, "4xx", 3},
		{"head on get route", "HEAD", "/plain", "2xx", 1},
		{"405", "DELETE", metrics.UnmatchedRoute, "4xx", 1},
		{"unknown method", metrics.OtherMethod, metrics.UnmatchedRoute, "4xx", 1},
	} {
		t.Run(w.name, func(t *testing.T) {
			got, ok := value(fams, reqs, map[string]string{"method": w.method, "route": w.route, "code": w.class})
			if !ok || got != w.want {
				t.Errorf("%s{method=%q,route=%q,code=%q} = %v (found %v), want %v", reqs, w.method, w.route, w.class, got, ok, w.want)
			}
		})
	}
	if got, _ := value(fams, "covet_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/users/{id:int}"}); got != 5 {
		t.Errorf("duration count for /users/{id:int} = %v, want 5", got)
	}
	if got, _ := value(fams, "covet_http_response_size_bytes", map[string]string{"method": "GET", "route": "/plain"}); got != 3 {
		t.Errorf("response size count for /plain = %v, want 3", got)
	}
	// The scrape itself is in flight while the registry is gathered.
	if got, _ := value(fams, "covet_http_requests_in_flight", nil); got != 1 {
		t.Errorf("in flight during the scrape = %v, want 1", got)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("%s missing: runtime and process collectors are on by default", name)
		}
	}
	for name := range fams {
		if fam := fams[name]; strings.HasPrefix(name, "covet_http") {
			for _, m := range fam.Metric {
				for _, l := range m.Label {
					if l.GetName() == "route" && strings.Contains(l.GetValue(), "22") {
						t.Errorf("raw path in a route label: %s", l.GetValue())
					}
				}
			}
		}
	}
}

func TestResponseSizeAndRequestSize(t *testing.T) {
	app, _ := newApp(t)
	req := httptest.NewRequest("POST", "/users", strings.NewReader(strings.Repeat("x", 300)))
	app.ServeHTTP(httptest.NewRecorder(), req)
	fams := scrape(t, app, "/metrics")
	h := fams["covet_http_request_size_bytes"].Metric[0].Histogram
	if h.GetSampleSum() != 300 {
		t.Errorf("request size sum = %v, want 300", h.GetSampleSum())
	}
	for _, m := range fams["covet_http_response_size_bytes"].Metric {
		if m.Histogram.GetSampleSum() != float64(len("created")) {
			t.Errorf("response size sum = %v, want %d", m.Histogram.GetSampleSum(), len("created"))
		}
	}
}

// TestSeriesBounded sends 10,000 distinct paths (parameter routes, 404s,
// odd methods) and checks that the number of series does not grow with them.
func TestSeriesBounded(t *testing.T) {
	app, _ := newApp(t)
	methods := []string{"GET", "POST", "PUT", "X-" + "RANDOM"}
	rng := rand.New(rand.NewPCG(1, 2))
	send := func(n int) {
		for range n {
			var path string
			switch rng.IntN(3) {
			case 0:
				path = fmt.Sprintf("/users/%d", rng.Int64())
			case 1:
				path = fmt.Sprintf("/%x/%x", rng.Uint64(), rng.Uint64())
			default:
				path = fmt.Sprintf("/users/%x-nope", rng.Uint64())
			}
			m := methods[rng.IntN(len(methods))]
			if m == "X-RANDOM" {
				m = fmt.Sprintf("X%d", rng.IntN(1e6))
			}
			do(app, m, path)
		}
	}
	count := func() (n int) {
		fams := scrape(t, app, "/metrics")
		for name := range fams {
			if strings.HasPrefix(name, "covet_") {
				n += series(fams, name)
			}
		}
		return n
	}
	send(2000)
	count() // the scrape's own series exist from here on
	after500 := count()
	send(8000)
	after10k := count()
	if after10k != after500 {
		t.Errorf("series after 2,000 distinct paths: %d; after 10,000: %d (must not grow)", after500, after10k)
	}
	if after10k > 40 {
		t.Errorf("%d series for 5 routes and the unmatched label", after10k)
	}
	t.Logf("%d series after 10,000 distinct paths", after10k)
}

func TestOpenMetricsNegotiation(t *testing.T) {
	app, _ := newApp(t)
	do(app, "GET", "/plain")
	for _, tc := range []struct {
		name, accept, wantType string
	}{
		{"text by default", "", "text/plain; version=0.0.4"},
		{"openmetrics when asked", "application/openmetrics-text; version=1.0.0", "application/openmetrics-text; version=1.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, req)
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
				t.Fatalf("Content-Type %q, want %q", ct, tc.wantType)
			}
			body := rec.Body.String()
			if !strings.Contains(body, `covet_http_requests_total{code="2xx",method="GET",route="/plain"} 1`) {
				t.Errorf("no counter line for /plain in:\n%.2000s", body)
			}
			if tc.accept != "" && !strings.HasSuffix(body, "# EOF\n") {
				t.Errorf("OpenMetrics exposition does not end with # EOF")
			}
		})
	}
}

func TestNativeHistograms(t *testing.T) {
	app, _ := newApp(t, metrics.WithNativeHistograms(0))
	do(app, "GET", "/plain")
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeProtoDelim)))
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	dec := expfmt.NewDecoder(rec.Body, expfmt.ResponseFormat(rec.Header()))
	found := false
	for {
		var mf = new(dto.MetricFamily)
		if err := dec.Decode(mf); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		if mf.GetName() == "covet_http_request_duration_seconds" {
			found = true
			h := mf.Metric[0].Histogram
			if h.Schema == nil || h.GetZeroThreshold() == 0 {
				t.Errorf("duration histogram has no native schema: %v", h)
			}
			if len(h.Bucket) != len(metrics.DefaultBuckets) {
				t.Errorf("classic buckets: %d, want %d kept beside the native ones", len(h.Bucket), len(metrics.DefaultBuckets))
			}
		}
	}
	if !found {
		t.Fatal("no duration histogram in the protobuf exposition")
	}
}

func TestBuckets(t *testing.T) {
	app, _ := newApp(t, metrics.WithBuckets(0.1, 1), metrics.WithSizes(false), metrics.WithRuntimeMetrics(false), metrics.WithNamespace("shop"))
	do(app, "GET", "/plain")
	fams := scrape(t, app, "/metrics")
	h := fams["shop_http_request_duration_seconds"]
	if h == nil || len(h.Metric[0].Histogram.Bucket) != 3 {
		t.Fatalf("want 2 buckets and +Inf under the shop namespace, got %v", h)
	}
	for _, name := range []string{"shop_http_request_size_bytes", "go_goroutines"} {
		if fams[name] != nil {
			t.Errorf("%s exposed though turned off", name)
		}
	}
	if err := covet.New().Install(metrics.New(metrics.WithBuckets(1, 0.5))); err == nil || !strings.Contains(err.Error(), "metrics: buckets must increase") {
		t.Errorf("decreasing buckets: err = %v", err)
	}
}

func TestGuards(t *testing.T) {
	t.Run("basic auth", func(t *testing.T) {
		app, _ := newApp(t, metrics.WithBasicAuth("prom", "s3cret"))
		c := covettest.New(t, app)
		c.Get("/metrics").Do().ExpectStatus(401).ExpectHeader("WWW-Authenticate", `Basic realm="metrics", charset="UTF-8"`)
		c.Get("/metrics").Header("Authorization", basic("prom", "wrong")).Do().ExpectStatus(401)
		c.Get("/metrics").Header("Authorization", basic("prom", "s3cret")).Do().ExpectStatus(200).ExpectBodyContains("covet_http_requests_total")
	})
	t.Run("allowed IPs", func(t *testing.T) {
		app, _ := newApp(t, metrics.WithAllowedIPs("10.0.0.0/8", "192.0.2.7"))
		c := covettest.New(t, app)
		c.Get("/metrics").RemoteAddr("203.0.113.9:5000").Do().ExpectStatus(403)
		c.Get("/metrics").RemoteAddr("10.1.2.3:5000").Do().ExpectStatus(200)
		c.Get("/metrics").RemoteAddr("192.0.2.7:5000").Do().ExpectStatus(200)
	})
	t.Run("bad CIDR", func(t *testing.T) {
		err := covet.New().Install(metrics.New(metrics.WithAllowedIPs("10.0.0.0/99")))
		if err == nil || !strings.Contains(err.Error(), `metrics: allowed IP "10.0.0.0/99"`) {
			t.Errorf("err = %v", err)
		}
	})
}

func basic(u, p string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(u, p)
	return r.Header.Get("Authorization")
}

func TestSeparateListener(t *testing.T) {
	app, m := newApp(t, metrics.WithListener("127.0.0.1:0"), metrics.WithAllowedIPs("127.0.0.0/8"))
	if err := app.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Stop(t.Context()) })
	if got := do(app, "GET", "/metrics"); got != 404 {
		t.Errorf("app's /metrics = %d with a separate listener, want 404", got)
	}
	do(app, "GET", "/plain")
	res, err := http.Get("http://" + m.ListenerAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	fams := parse(t, b)
	if got, _ := value(fams, "covet_http_requests_total", map[string]string{"route": "/plain", "code": "2xx"}); got != 1 {
		t.Errorf("/plain counted %v, want 1", got)
	}
	// Counting the app's 404 for /metrics above: the listener's own requests are not counted.
	if got, _ := value(fams, "covet_http_requests_total", map[string]string{"route": "/metrics"}); got != 0 {
		t.Errorf("scrapes on the listener counted: %v", got)
	}
}

// TestNoExtraAllocs: recording a request allocates nothing once its
// series exist.
func TestNoExtraAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	measure := func(h http.Handler) float64 {
		req := httptest.NewRequest("GET", "/users/42", nil)
		w := &discard{h: http.Header{}}
		h.ServeHTTP(w, req)
		return testing.AllocsPerRun(200, func() { h.ServeHTTP(w, req) })
	}
	bare := covet.New()
	// A no-op middleware, so both apps take the same path through core.
	bare.Use(func(next covet.HandlerFunc) covet.HandlerFunc { return func(c *covet.Context) error { return next(c) } })
	bare.GET("/users/{id:int}", userHandler)
	with := covet.New()
	if err := with.Install(metrics.New()); err != nil {
		t.Fatal(err)
	}
	with.GET("/users/{id:int}", userHandler)
	a, b := measure(bare), measure(with)
	if b > a {
		t.Errorf("allocs per request: %v without metrics, %v with", a, b)
	}
}

type discard struct {
	h http.Header
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// TestExemplars: the trace ID the function returns is attached to the
// duration observation, visible in the OpenMetrics exposition.
func TestExemplars(t *testing.T) {
	app, _ := newApp(t, metrics.WithExemplars(func(c *covet.Context) string {
		return c.Request().Header.Get("X-Trace")
	}))
	req := httptest.NewRequest("GET", "/plain", nil)
	req.Header.Set("X-Trace", "0af7651916cd43dd8448eb211c80319c")
	app.ServeHTTP(httptest.NewRecorder(), req)
	do(app, "GET", "/plain") // no trace: no exemplar, still counted
	req = httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	found := false
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "covet_http_request_duration_seconds_bucket") && strings.Contains(line, `route="/plain"`) &&
			strings.Contains(line, `# {trace_id="0af7651916cd43dd8448eb211c80319c"}`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no exemplar on a /plain duration bucket:\n%s", rec.Body.String())
	}
	if !strings.Contains(rec.Body.String(), `covet_http_request_duration_seconds_count{method="GET",route="/plain"} 2`) {
		t.Errorf("duration count for /plain is not 2")
	}
}
