package cors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/cors"
	"github.com/covetgo/covet/tools/browsertest"
)

// hits counts the requests each route's handler served, so the test can
// tell a request the browser never sent (a failed preflight) from one it
// sent but whose response it hid from the page.
type hits struct {
	mu  sync.Mutex
	n   map[string]int
	pna int // preflights that asked for private network access
}

func (h *hits) add(k string) { h.mu.Lock(); h.n[k]++; h.mu.Unlock() }

func (h *hits) privateNetwork() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pna
}
func (h *hits) get(k string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[k]
}

// apiServer starts an API on its own port (a different origin from the
// page) with CORS configured by opts.
func apiServer(t *testing.T, opts ...cors.Option) (string, *hits) {
	t.Helper()
	h := &hits{n: map[string]int{}}
	app := covet.New()
	handler := func(c *covet.Context) error {
		h.add(c.Request().Method + " " + c.Route().Pattern)
		c.SetHeader("X-Total", "3")
		return c.Text(http.StatusOK, "served "+c.Request().Method)
	}
	app.GET("/items", handler)
	app.PUT("/items/{id:int}", handler)
	app.DELETE("/items/{id:int}", handler)
	app.Group("/public").With(cors.Override(cors.WithOrigins("*"), cors.WithCredentials(false))).GET("/feed", handler)
	app.Group("/admin").With(cors.Disable()).GET("/stats", handler)
	if err := app.Install(cors.New(opts...)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Access-Control-Request-Private-Network") != "" {
			h.mu.Lock()
			h.pna++
			h.mu.Unlock()
		}
		app.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, h
}

// fetchResult is what the page reports about one fetch.
type fetchResult struct {
	OK     bool   `json:"ok"`
	Status int    `json:"status"`
	Body   string `json:"body"`
	Total  string `json:"total"` // the X-Total header as the page can read it
	Err    string `json:"err"`
}

// fetchJS runs one fetch in the page and returns its result; a CORS
// failure is a rejected fetch (a TypeError), never a readable response.
const fetchJS = `(async () => {
  try {
    const r = await fetch(%q, %s);
    const body = await r.text();
    return {ok: true, status: r.status, body: body, total: r.headers.get("X-Total") || ""};
  } catch (e) {
    return {ok: false, err: String(e)};
  }
})()`

func TestMain(m *testing.M) { browsertest.Main(m) }

// privateNetworkPreflights is, per engine, whether a preflight from a page
// on 127.0.0.1 to an API on 127.0.0.1 carries
// Access-Control-Request-Private-Network. Private Network Access
// (https://wicg.github.io/private-network-access/, §3) asks for it only when
// the target's address space is more private than the page's; loopback to
// loopback is the same space, so no engine sends it here. Only Chromium
// ever implemented the preflight header (and has since moved to a
// permission prompt, "Local Network Access",
// https://github.com/WICG/local-network-access); Firefox
// (https://github.com/mozilla/standards-positions/issues/143) and WebKit
// (https://github.com/WebKit/standards-positions/issues/163) never shipped
// it. The plugin's side of the header is covered by cors_test.go.
var privateNetworkPreflights = map[browsertest.Engine]int{
	browsertest.Chromium: 0,
	browsertest.Firefox:  0,
	browsertest.WebKit:   0,
}

// TestBrowser runs real cross-origin fetches in Chromium, Firefox and
// WebKit: a page served from one localhost port calls APIs on other ports,
// with and without credentials, with custom headers and non-simple methods,
// against allowed and disallowed configurations, and the test reads from
// the page which calls the browser allowed and which it blocked, and from
// the servers which requests the browser never sent. Every engine gets its
// own servers, so the engines run side by side.
func TestBrowser(t *testing.T) {
	browsertest.Run(t, testBrowser, browsertest.WithTimeout(2*time.Minute))
}

func testBrowser(t *testing.T, b browsertest.Browser) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>front end</title><p>front end</p>`)
	}))
	t.Cleanup(page.Close)
	pageOrigin := page.URL // http://127.0.0.1:PORT

	allowed, allowedHits := apiServer(t,
		cors.WithOrigins(pageOrigin),
		cors.WithCredentials(true),
		cors.WithHeaders("Content-Type", "X-Custom"),
		cors.WithExposedHeaders("X-Total"),
	)
	noCreds, noCredsHits := apiServer(t, cors.WithOrigins(pageOrigin))
	disallowed, disallowedHits := apiServer(t, cors.WithOrigins("https://elsewhere.example"), cors.WithCredentials(true))

	if err := b.Open(page.URL); err != nil {
		t.Fatal(err)
	}

	const (
		plain   = `{}`
		creds   = `{credentials: "include"}`
		putJSON = `{method: "PUT", credentials: "include", headers: {"Content-Type": "application/json", "X-Custom": "1"}, body: "{}"}`
		putBad  = `{method: "PUT", credentials: "include", headers: {"X-Secret": "1"}}`
		del     = `{method: "DELETE", credentials: "include"}`
		patch   = `{method: "PATCH", credentials: "include"}`
	)
	tests := []struct {
		name    string
		base    string
		hits    *hits
		path    string
		init    string
		allowed bool
		// served is the route that must have run (even when the browser
		// hid the response), or "" if the browser must not have sent the
		// request at all.
		served string
		total  string // X-Total readable by the page
	}{
		{"simple GET", allowed, allowedHits, "/items", plain, true, "GET /items", "3"},
		{"GET with credentials", allowed, allowedHits, "/items", creds, true, "GET /items", "3"},
		{"PUT with JSON and a custom header after a preflight", allowed, allowedHits, "/items/1", putJSON, true, "PUT /items/{id:int}", "3"},
		{"DELETE after a preflight", allowed, allowedHits, "/items/2", del, true, "DELETE /items/{id:int}", "3"},
		{"PUT with a header that is not allowed is never sent", allowed, allowedHits, "/items/3", putBad, false, "", ""},
		{"PATCH the path does not route is never sent", allowed, allowedHits, "/items/4", patch, false, "", ""},
		{"any-origin group without credentials", allowed, allowedHits, "/public/feed", plain, true, "GET /public/feed", "3"},
		{"any-origin group refuses credentials", allowed, allowedHits, "/public/feed", creds, false, "GET /public/feed", ""},
		{"disabled group: served but hidden from the page", allowed, allowedHits, "/admin/stats", plain, false, "GET /admin/stats", ""},
		{"no credentials allowed: plain GET", noCreds, noCredsHits, "/items", plain, true, "GET /items", ""},
		{"no credentials allowed: credentialed GET blocked", noCreds, noCredsHits, "/items", creds, false, "GET /items", ""},
		{"no credentials allowed: credentialed DELETE never sent", noCreds, noCredsHits, "/items/5", del, false, "", ""},
		{"disallowed origin: simple GET served but hidden", disallowed, disallowedHits, "/items", plain, false, "GET /items", ""},
		{"disallowed origin: PUT never sent", disallowed, disallowedHits, "/items/6", putJSON, false, "", ""},
		{"disallowed origin: DELETE never sent", disallowed, disallowedHits, "/items/7", del, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]int{}
			for _, k := range []string{"GET /items", "PUT /items/{id:int}", "DELETE /items/{id:int}", "GET /public/feed", "GET /admin/stats"} {
				before[k] = tt.hits.get(k)
			}
			var res fetchResult
			if err := b.Eval(fmt.Sprintf(fetchJS, tt.base+tt.path, tt.init), &res); err != nil {
				t.Fatal(err)
			}
			if res.OK != tt.allowed {
				t.Fatalf("browser allowed = %v, want %v (%+v)", res.OK, tt.allowed, res)
			}
			if tt.allowed && (res.Status != 200 || res.Total != tt.total) {
				t.Errorf("response %+v, want status 200 and X-Total %q", res, tt.total)
			}
			for k, n := range before {
				want := n
				if k == tt.served {
					want++
				}
				if got := tt.hits.get(k); got != want {
					t.Errorf("route %s ran %d times during the call, want %d", k, got-n, want-n)
				}
			}
		})
	}
	pna := allowedHits.privateNetwork() + noCredsHits.privateNetwork() + disallowedHits.privateNetwork()
	if want := privateNetworkPreflights[b.Engine()]; pna != want {
		t.Errorf("%d preflights asked for private network access, want %d on %s", pna, want, b.Engine())
	}
}
