package compress_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// task is the object of the realistic JSON list used by tests and figures.
type task struct {
	ID          int      `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	Priority    int      `json:"priority"`
	Assignee    string   `json:"assignee"`
	Tags        []string `json:"tags"`
	BoardID     int      `json:"board_id"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

// taskList returns n task objects as the taskboard's list endpoint would.
func taskList(n int) []task {
	statuses := []string{"todo", "doing", "review", "done"}
	people := []string{"ada", "grace", "linus", "barbara", "ken"}
	tags := [][]string{{"backend"}, {"frontend", "ux"}, {"bug"}, {"docs", "backend"}, {"infra", "ci"}}
	out := make([]task, n)
	for i := range out {
		out[i] = task{
			ID:          i + 1,
			Title:       fmt.Sprintf("Task %d: %s the %s", i+1, []string{"fix", "write", "review", "ship"}[i%4], []string{"login form", "cache layer", "release notes", "board view", "rate limits"}[i%5]),
			Description: fmt.Sprintf("Details for task %d. Steps: reproduce, write a failing test, fix, and ask for review from %s.", i+1, people[(i+2)%5]),
			Status:      statuses[i%4],
			Priority:    i % 3,
			Assignee:    people[i%5],
			Tags:        tags[i%5],
			BoardID:     1 + i%7,
			CreatedAt:   fmt.Sprintf("2026-11-%02dT09:%02d:00Z", 1+i%28, i%60),
			UpdatedAt:   fmt.Sprintf("2026-12-%02dT17:%02d:12Z", 1+i%4, (i*7)%60),
		}
	}
	return out
}

func taskJSON(n int) []byte {
	b, err := json.Marshal(taskList(n))
	if err != nil {
		panic(err)
	}
	return b
}

// htmlPage returns an HTML page listing the tasks, as the taskboard renders it.
func htmlPage(n int) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Board</title><link rel="stylesheet" href="/assets/app.css"></head><body><header class="top"><nav><a href="/">Boards</a> <a href="/tasks">Tasks</a></nav></header><main><table class="tasks"><thead><tr><th>#</th><th>Title</th><th>Status</th><th>Assignee</th></tr></thead><tbody>`)
	for _, t := range taskList(n) {
		fmt.Fprintf(&b, `<tr class="task task-%s" data-id="%d"><td>%d</td><td><a href="/tasks/%d">%s</a></td><td><span class="badge badge-%s">%s</span></td><td>%s</td></tr>`,
			t.Status, t.ID, t.ID, t.ID, t.Title, t.Status, t.Status, t.Assignee)
	}
	b.WriteString(`</tbody></table></main><footer>covet taskboard</footer></body></html>`)
	return b.String()
}

// decode undoes a content coding.
func decode(t testing.TB, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "", "identity":
		return body
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	default:
		t.Fatalf("unknown coding %q", coding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", coding, err)
	}
	return out
}

// encode applies a content coding.
func encode(t testing.TB, coding string, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	case "br":
		w = brotli.NewWriter(&buf)
	}
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// serve runs one request through the app in process.
func serve(app http.Handler, method, path string, hdr map[string]string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	return rec
}

func newApp(t testing.TB, opts ...compress.Option) *covet.App {
	t.Helper()
	app := covet.New()
	if err := app.Install(compress.New(opts...)); err != nil {
		t.Fatal(err)
	}
	return app
}

// decoder wraps a coded stream in its decoder.
func decoder(t testing.TB, coding string, r io.Reader) io.Reader {
	t.Helper()
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		return zr
	case "zstd":
		zr, err := zstd.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		return zr
	case "br":
		return brotli.NewReader(r)
	}
	return r
}
