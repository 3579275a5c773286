package compresstest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/covetgo/covet/contrib/browsertest"
	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
)

type task struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	State string `json:"state"`
}

// server starts an app that produces only coding, and records the
// Content-Encoding it sent for each path.
func server(t *testing.T, coding string) (string, func(string) string) {
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
	sent := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.ServeHTTP(w, r)
		mu.Lock()
		sent[r.URL.Path] = w.Header().Get("Content-Encoding")
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func(p string) string { mu.Lock(); defer mu.Unlock(); return sent[p] }
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
  return JSON.stringify({
    rows: document.querySelectorAll("#tasks tr").length,
    tasks: tasks.length, lastTitle: tasks[99].title,
    pageEncoded: nav.encodedBodySize, pageDecoded: nav.decodedBodySize,
    jsonEncoded: res.encodedBodySize, jsonDecoded: res.decodedBodySize,
  });
})()`

// TestChromiumDecodes: Chromium loads a coded HTML page and fetches coded
// JSON, for Brotli and gzip; the page renders every row, the JSON parses,
// and the browser's own resource timing shows fewer bytes on the wire than
// decoded.
func TestChromiumDecodes(t *testing.T) {
	ctx := browsertest.New(t, 90*time.Second)
	for _, coding := range []string{"br", "gzip"} {
		base, sent := server(t, coding)
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
			t.Fatal(err)
		}
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](probeJS, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", coding, err)
		}
		var r result
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatalf("%s: %v (%s)", coding, err, raw)
		}
		t.Logf("%s: page %d -> %d bytes, JSON %d -> %d bytes", coding, r.PageDecoded, r.PageEncoded, r.JSONDecoded, r.JSONEncoded)
		if sent("/") != coding || sent("/tasks") != coding {
			t.Fatalf("%s: server sent page %q, JSON %q", coding, sent("/"), sent("/tasks"))
		}
		if r.Rows != 100 || r.Tasks != 100 || r.LastTitle != "Task 100: write the release notes" {
			t.Fatalf("%s: decoded content wrong: %+v", coding, r)
		}
		if r.PageEncoded <= 0 || r.PageEncoded*2 > r.PageDecoded || r.JSONEncoded <= 0 || r.JSONEncoded*2 > r.JSONDecoded {
			t.Fatalf("%s: sizes on the wire vs decoded: %+v", coding, r)
		}
	}
}
