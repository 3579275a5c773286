package openapi_test

import (
	"encoding/json"
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

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/covetgo/covet/contrib/browsertest"
)

// cspProbe records Content-Security-Policy violations of the page, from
// before any of its scripts run.
const cspProbe = `window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});`

// TestBrowserDocs opens /docs (Swagger UI) and /redoc (ReDoc) of the test
// app in headless Chromium, waits until every operation's summary is
// rendered, and checks that the pages requested nothing outside the app's
// own origin (every request the DevTools network events report) and broke
// no rule of their Content-Security-Policy.
func TestBrowserDocs(t *testing.T) {
	app := newTestApp()
	srv := httptest.NewServer(app) // 127.0.0.1
	t.Cleanup(srv.Close)

	// The summaries to find: every operation of the served document.
	res, err := http.Get(srv.URL + "/openapi.json")
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
	var summaries []string
	for _, item := range doc.Paths {
		for _, op := range item {
			if op.Summary == "" {
				t.Fatalf("an operation of the test app has no summary")
			}
			summaries = append(summaries, op.Summary)
		}
	}
	sort.Strings(summaries)
	if len(summaries) < 10 {
		t.Fatalf("only %d operations", len(summaries))
	}

	ctx := browsertest.New(t, 2*time.Minute)
	var mu sync.Mutex
	var requests []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe}); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name string
		path string
	}{
		{"Swagger UI", "/docs"},
		{"ReDoc", "/redoc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			requests = nil
			mu.Unlock()
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+tt.path)); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(summaries)
			// Wait until the page's text holds every summary.
			missing, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(function () {
  const text = document.body ? document.body.innerText : "";
  const missing = `+string(want)+`.filter(s => !text.includes(s));
  return missing.length === 0 ? [] : (window.__lastMissing = missing, false);
})()`, chromedp.WithPollingTimeout(45*time.Second), chromedp.WithPollingInterval(200*time.Millisecond)))
			if err != nil {
				last, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__lastMissing || []`))
				t.Fatalf("summaries not rendered: %v (missing %v)", err, last)
			}
			if len(missing) != 0 {
				t.Fatalf("missing %v", missing)
			}
			violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp`))
			if err != nil {
				t.Fatal(err)
			}
			if len(violations) > 0 {
				t.Errorf("Content-Security-Policy violations: %v", violations)
			}
			mu.Lock()
			got := append([]string(nil), requests...)
			mu.Unlock()
			var spec bool
			for _, u := range got {
				if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:"+srv.URL+"/") {
					t.Errorf("the page requested %s, outside the app's origin %s", u, srv.URL)
				}
				if strings.HasPrefix(u, srv.URL+"/openapi.json") {
					spec = true
				}
			}
			if !spec {
				t.Errorf("the page never requested /openapi.json (requests: %v)", got)
			}
			t.Logf("%s: %d summaries rendered; %d requests, all to %s", tt.name, len(summaries), len(got), srv.URL)
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
		mu.Lock()
		requests = nil
		mu.Unlock()
		for _, u := range []string{srv.URL + "/ping", other.URL + "/probe"} {
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`fetch(`+strconv.Quote(u)+`).then(() => true, () => false)`, chromedp.EvalAwaitPromise)); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		got := slices.Clone(requests)
		mu.Unlock()
		if !slices.Contains(got, srv.URL+"/ping") {
			t.Errorf("the fetch of /ping was not recorded: %v", got)
		}
		violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp`))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(violations, func(v string) bool { return strings.Contains(v, other.URL) }) {
			t.Errorf("the fetch to %s was no violation: %v", other.URL, violations)
		}
		if hits.Load() != 0 {
			t.Errorf("the other origin was reached")
		}
	})
}
