package compresstest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
	"github.com/covetgo/covet/tools/browsertest"
)

type task struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	State string `json:"state"`
}

func TestMain(m *testing.M) { browsertest.Main(m) }

// server starts an app that produces only coding, and records the
// Content-Encoding it sent and the Accept-Encoding it got for each path.
func server(t *testing.T, coding string) (string, func(string) (sent, accepted string)) {
	t.Helper()
	tasks := make([]task, 100)
	var rows strings.Builder
	for i := range tasks {
		tasks[i] = task{ID: i + 1, Title: fmt.Sprintf("Task %d: write the release notes", i+1), State: []string{"todo", "doing", "done"}[i%3]}
		fmt.Fprintf(&rows, `<tr><td>%d</td><td>%s</td><td>%s</td></tr>`, tasks[i].ID, tasks[i].Title, tasks[i].State)
	}
	page := `<!doctype html><html><head><title>board</title></head><body><table id="tasks">` + rows.String() + `</table></body></html>`
	app := covet.New()
	if err := app.Install(compress.New(compress.WithEncodings(coding))); err != nil {
		t.Fatal(err)
	}
	app.GET("/", func(c *covet.Context) error { return c.HTML(http.StatusOK, page) })
	app.GET("/tasks", func(c *covet.Context) error { return c.JSON(http.StatusOK, tasks) })
	var mu sync.Mutex
	sent := map[string][2]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.ServeHTTP(w, r)
		mu.Lock()
		sent[r.URL.Path] = [2]string{w.Header().Get("Content-Encoding"), r.Header.Get("Accept-Encoding")}
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func(p string) (string, string) { mu.Lock(); defer mu.Unlock(); return sent[p][0], sent[p][1] }
}

// result is what the page reports.
type result struct {
	Rows        int    `json:"rows"`
	Tasks       int    `json:"tasks"`
	LastTitle   string `json:"lastTitle"`
	PageEncoded int    `json:"pageEncoded"`
	PageDecoded int    `json:"pageDecoded"`
	JSONEncoded int    `json:"jsonEncoded"`
	JSONDecoded int    `json:"jsonDecoded"`
}

const probeJS = `(async () => {
  const r = await fetch("/tasks");
  const tasks = await r.json();
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource").find(e => e.name.endsWith("/tasks"));
  return {
    rows: document.querySelectorAll("#tasks tr").length,
    tasks: tasks.length, lastTitle: tasks[99].title,
    pageEncoded: nav.encodedBodySize, pageDecoded: nav.decodedBodySize,
    jsonEncoded: res.encodedBodySize, jsonDecoded: res.decodedBodySize,
  };
})()`

// advertised is, per engine, the codings it offers in Accept-Encoding to
// http://127.0.0.1 (not a secure origin's https: but a loopback one), as
// measured with the Debian packages (Chromium 156, Firefox ESR 153,
// WebKitGTK 2.50):
//   - Chromium: "gzip, deflate, br, zstd": it offers br and zstd to
//     localhost like to https (net/base/url_util.cc IsLocalhost, see
//     https://chromestatus.com/feature/6186023867908096 for zstd).
//   - Firefox: "gzip, deflate, br, zstd": br and zstd are kept for secure
//     origins (network.http.accept-encoding.secure,
//     https://bugzilla.mozilla.org/show_bug.cgi?id=366559), and
//     http://127.0.0.1 is potentially trustworthy (Secure Contexts §3.2).
//   - WebKitGTK: "gzip, deflate" only: libsoup 3 adds br only for https
//     (soup-content-decoder.c), so Brotli goes undecoded over plain http.
//
// The server must not send a coding the client did not offer (RFC 9110
// §12.5.3), so an engine that does not offer br is served identity, and
// the test asserts exactly that.
var advertised = map[browsertest.Engine][]string{
	browsertest.Chromium: {"gzip", "deflate", "br", "zstd"},
	browsertest.Firefox:  {"gzip", "deflate", "br", "zstd"},
	browsertest.WebKit:   {"gzip", "deflate"},
}

// TestBrowserDecodes: each engine loads a coded HTML page and fetches coded
// JSON, for Brotli and gzip; the page renders every row, the JSON parses,
// and the browser's own resource timing shows fewer bytes on the wire than
// decoded. Where the engine does not offer the coding, the server sends
// identity and the page still works.
func TestBrowserDecodes(t *testing.T) {
	browsertest.Run(t, func(t *testing.T, b browsertest.Browser) {
		for _, coding := range []string{"br", "gzip"} {
			base, sent := server(t, coding)
			if err := b.Open(base + "/"); err != nil {
				t.Fatal(err)
			}
			var r result
			if err := b.Eval(probeJS, &r); err != nil {
				t.Fatalf("%s: %v", coding, err)
			}
			pageSent, accept := sent("/")
			jsonSent, _ := sent("/tasks")
			t.Logf("%s on %s (Accept-Encoding %q): page %d -> %d bytes, JSON %d -> %d bytes", coding, b.Engine(), accept, r.PageDecoded, r.PageEncoded, r.JSONDecoded, r.JSONEncoded)
			var offered []string
			for _, c := range strings.Split(accept, ",") {
				offered = append(offered, strings.TrimSpace(c))
			}
			if !slices.Equal(offered, advertised[b.Engine()]) {
				t.Errorf("%s offers %q, want %q", b.Engine(), offered, advertised[b.Engine()])
			}
			want := ""
			if slices.Contains(advertised[b.Engine()], coding) {
				want = coding
			}
			if pageSent != want || jsonSent != want {
				t.Fatalf("%s: server sent page %q, JSON %q, want %q", coding, pageSent, jsonSent, want)
			}
			if r.Rows != 100 || r.Tasks != 100 || r.LastTitle != "Task 100: write the release notes" {
				t.Fatalf("%s: decoded content wrong: %+v", coding, r)
			}
			if want != "" && (r.PageEncoded <= 0 || r.PageEncoded*2 > r.PageDecoded || r.JSONEncoded <= 0 || r.JSONEncoded*2 > r.JSONDecoded) {
				t.Fatalf("%s: sizes on the wire vs decoded: %+v", coding, r)
			}
		}
	}, browsertest.WithTimeout(2*time.Minute))
}
