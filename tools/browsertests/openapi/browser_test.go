package openapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/covetgo/covet/tools/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// cspReports serves the test app with a report-uri added to the docs
// pages' Content-Security-Policy, and keeps the violation reports the
// browser posts there: every engine sends them (CSP Level 2 report-uri), so
// violations are seen from the server, the same way on all three.
type cspReports struct {
	mu      sync.Mutex
	reports []string
}

func (c *cspReports) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reports)
}

func (c *cspReports) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__csp" {
			body, _ := io.ReadAll(r.Body)
			c.mu.Lock()
			c.reports = append(c.reports, string(body))
			c.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(&reportURIWriter{ResponseWriter: w}, r)
	})
}

// reportURIWriter appends "; report-uri /__csp" to a policy the app sets.
type reportURIWriter struct {
	http.ResponseWriter
	done bool
}

func (w *reportURIWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		if p := w.Header().Get("Content-Security-Policy"); p != "" {
			w.Header().Set("Content-Security-Policy", p+"; report-uri /__csp")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *reportURIWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// waitJS polls the page's text until it holds every summary (or 45 s
// pass) and returns the ones still missing.
const waitJS = `(async () => {
  const want = %s;
  const deadline = Date.now() + 45000;
  for (;;) {
    const text = document.body ? document.body.innerText : "";
    const missing = want.filter(s => !text.includes(s));
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await new Promise(r => setTimeout(r, 200));
  }
})()`

// summaries lists every operation's summary in the served document.
func summaries(t *testing.T, base string) []string {
	t.Helper()
	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Summary string `json:"summary"`
		} `json:"paths"`
	}
	err = json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, item := range doc.Paths {
		for _, op := range item {
			if op.Summary == "" {
				t.Fatalf("an operation of the test app has no summary")
			}
			out = append(out, op.Summary)
		}
	}
	sort.Strings(out)
	if len(out) < 10 {
		t.Fatalf("only %d operations", len(out))
	}
	return out
}

// TestBrowserDocs opens /docs (Swagger UI) and /redoc (ReDoc) of the test
// app in Chromium, Firefox and WebKit, waits until every operation's
// summary is rendered, and checks that the pages requested nothing outside
// the app's own origin (every request the engine reports) and broke no rule
// of their Content-Security-Policy (no violation report reached the app).
func TestBrowserDocs(t *testing.T) {
	browsertest.Run(t, testBrowserDocs, browsertest.WithTimeout(3*time.Minute))
}

func testBrowserDocs(t *testing.T, b browsertest.Browser) {
	csp := &cspReports{}
	srv := httptest.NewServer(csp.wrap(newTestApp())) // 127.0.0.1, one per engine
	t.Cleanup(srv.Close)
	want := summaries(t, srv.URL)
	wantJSON, _ := json.Marshal(want)

	for _, tt := range []struct {
		name string
		path string
	}{
		{"Swagger UI", "/docs"},
		{"ReDoc", "/redoc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.Open(srv.URL + tt.path); err != nil {
				t.Fatal(err)
			}
			var missing []string
			if err := b.Eval(strings.Replace(waitJS, "%s", string(wantJSON), 1), &missing); err != nil {
				t.Fatal(err)
			}
			if len(missing) != 0 {
				t.Fatalf("summaries not rendered in 45 s: %v", missing)
			}
			if r := csp.list(); len(r) > 0 {
				t.Errorf("Content-Security-Policy violations: %v", r)
			}
			reqs, err := b.Requests()
			if err != nil {
				t.Fatal(err)
			}
			var spec bool
			for _, r := range reqs {
				u := r.URL
				if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:"+srv.URL+"/") {
					t.Errorf("the page requested %s, outside the app's origin %s", u, srv.URL)
				}
				if strings.HasPrefix(u, srv.URL+"/openapi.json") {
					spec = true
				}
			}
			if !spec {
				t.Errorf("the page never requested /openapi.json (requests: %v)", reqs)
			}
			t.Logf("%s on %s: %d summaries rendered; %d requests, all to %s", tt.name, b.Engine(), len(want), len(reqs), srv.URL)
		})
	}
	// The two probes themselves: a request the page sends is recorded, and
	// one to another origin (another port on 127.0.0.1) is refused by the
	// policy and reported as a violation, so empty findings above mean
	// something.
	t.Run("probes see requests and violations", func(t *testing.T) {
		var hits atomic.Int32
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		t.Cleanup(other.Close)
		if err := b.Open(srv.URL + "/docs"); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{srv.URL + "/ping", other.URL + "/probe"} {
			if err := b.Eval(`fetch(`+strconv.Quote(u)+`).then(() => true, () => false)`, nil); err != nil {
				t.Fatal(err)
			}
		}
		reqs, err := b.Requests()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(reqs, func(r browsertest.Request) bool { return r.URL == srv.URL+"/ping" }) {
			t.Errorf("the fetch of /ping was not recorded: %v", reqs)
		}
		// Reports are sent in the background: wait for one.
		deadline := time.Now().Add(20 * time.Second)
		for !slices.ContainsFunc(csp.list(), func(r string) bool { return strings.Contains(r, other.URL) }) {
			if time.Now().After(deadline) {
				t.Fatalf("the fetch to %s was reported as no violation: %v", other.URL, csp.list())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if hits.Load() != 0 {
			t.Errorf("the other origin was reached")
		}
	})
}
