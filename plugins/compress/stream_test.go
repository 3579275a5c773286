package compress_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
)

// get sends a GET with Accept-Encoding to a live server (the transport's own
// transparent gzip is off since the header is set by hand).
func get(t *testing.T, url, ae string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if ae != "" {
		req.Header.Set("Accept-Encoding", ae)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// TestFlushPassesThrough: each flushed chunk of a coded stream reaches the
// client, decodable, before the handler writes the next.
func TestFlushPassesThrough(t *testing.T) {
	for _, coding := range []string{"gzip", "br", "zstd"} {
		t.Run(coding, func(t *testing.T) {
			next := make(chan struct{})
			app := newApp(t)
			app.GET("/stream", func(c *covet.Context) error {
				w := c.Response()
				w.Header().Set("Content-Type", "text/plain")
				for i := range 3 {
					fmt.Fprintf(w, "line %d\n", i)
					if err := w.FlushError(); err != nil {
						return err
					}
					select {
					case <-next:
					case <-time.After(10 * time.Second):
						return fmt.Errorf("client did not read line %d", i)
					}
				}
				return nil
			})
			srv := httptest.NewServer(app)
			defer srv.Close()
			res := get(t, srv.URL+"/stream", coding)
			if res.Header.Get("Content-Encoding") != coding {
				t.Fatalf("Content-Encoding %q", res.Header.Get("Content-Encoding"))
			}
			r := bufio.NewReader(decoder(t, coding, res.Body))
			for i := range 3 {
				line, err := r.ReadString('\n')
				if err != nil || line != fmt.Sprintf("line %d\n", i) {
					t.Fatalf("line %d: %q %v", i, line, err)
				}
				next <- struct{}{}
			}
		})
	}
}

// TestSSEExcluded: an event stream is never coded, and events arrive one by one.
func TestSSEExcluded(t *testing.T) {
	next := make(chan struct{})
	app := newApp(t)
	app.GET("/events", func(c *covet.Context) error {
		s := c.SSE()
		for i := range 2 {
			if err := s.Send(covet.Event{Data: fmt.Sprintf("event %d %s", i, strings.Repeat("x", 2000))}); err != nil {
				return err
			}
			<-next
		}
		return nil
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	res := get(t, srv.URL+"/events", "gzip, br, zstd")
	if res.Header.Get("Content-Encoding") != "" || res.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("SSE headers: %v", res.Header)
	}
	r := bufio.NewReader(res.Body)
	for i := range 2 {
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, fmt.Sprintf("data: event %d", i)) {
			t.Fatalf("event %d: %q %v", i, line[:min(len(line), 40)], err)
		}
		_, _ = r.ReadString('\n') // blank line
		next <- struct{}{}
	}
}

// TestCoreStream: c.Stream flushes each chunk; coded, the stream still works.
func TestCoreStream(t *testing.T) {
	app := newApp(t)
	app.GET("/s", func(c *covet.Context) error {
		return c.Stream(http.StatusOK, "application/x-ndjson", strings.NewReader(strings.Repeat(`{"a":1}`+"\n", 1000)))
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	res := get(t, srv.URL+"/s", "br")
	body, _ := io.ReadAll(decoder(t, "br", res.Body))
	if res.Header.Get("Content-Encoding") != "br" || string(body) != strings.Repeat(`{"a":1}`+"\n", 1000) {
		t.Fatalf("stream: %q, %d bytes", res.Header.Get("Content-Encoding"), len(body))
	}
}

// TestPanic: a panic through the middleware is the app's 500, and the
// server goes on serving coded responses.
func TestPanic(t *testing.T) {
	app := newApp(t)
	routes(app)
	app.GET("/panic", func(c *covet.Context) error { panic("boom") })
	app.GET("/panic-late", func(c *covet.Context) error {
		c.Response().Header().Set("Content-Type", "text/plain")
		c.Response().Write([]byte(big))
		panic("late boom")
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	res := get(t, srv.URL+"/panic", "gzip")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 500 || res.Header.Get("Content-Type") != "application/problem+json" || !bytes.Contains(body, []byte(`"status":500`)) {
		t.Fatalf("panic: %d %v %s", res.StatusCode, res.Header, body)
	}
	// After the body started, no error answer is possible: core aborts the
	// response (issue 13 #3), so the client sees a broken transfer (here
	// before any byte: the coded body was still buffered), never a clean
	// end, and the server goes on serving.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/panic-late", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	if res, err := http.DefaultClient.Do(req); err == nil {
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil {
			t.Error("a panic after the body started ended the response cleanly")
		}
	}
	for range 3 {
		res = get(t, srv.URL+"/text", "gzip")
		body, _ = io.ReadAll(res.Body)
		if string(decode(t, "gzip", body)) != big {
			t.Fatal("coded response after a panic is wrong")
		}
	}
}

// TestConcurrent mixes codings and sizes from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	app := newApp(t)
	routes(app)
	srv := httptest.NewServer(app)
	defer srv.Close()
	want := string(taskJSON(100))
	codings := []string{"gzip", "br", "zstd", ""}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				coding := codings[(g+i)%4]
				path, exp := "/json", want
				if i%3 == 0 {
					path, exp = "/small", "tiny"
				}
				req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
				if coding != "" {
					req.Header.Set("Accept-Encoding", coding)
				}
				res, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				got := string(decode(t, res.Header.Get("Content-Encoding"), body))
				if got != exp {
					errs <- fmt.Errorf("%s %s: body differs", coding, path)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRequestDecompression: gzip, zstd and br bodies reach the handler
// decoded; a zip bomb is a 413, an unknown coding a 415, a corrupt body a 400.
func TestRequestDecompression(t *testing.T) {
	app := newApp(t, compress.WithRequestDecompression(1<<20))
	type in struct {
		Title string `json:"title"`
	}
	app.POST("/tasks", func(c *covet.Context) error {
		var v in
		if err := c.BindJSON(&v); err != nil {
			return err
		}
		return c.Text(http.StatusOK, "got "+v.Title)
	})
	post := func(coding string, body []byte) (int, string, http.Header) {
		req := httptest.NewRequest(http.MethodPost, "/tasks", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if coding != "" {
			req.Header.Set("Content-Encoding", coding)
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String(), rec.Header()
	}
	payload := []byte(`{"title":"compressed"}`)
	for _, coding := range []string{"gzip", "zstd", "br", "x-gzip"} {
		enc := coding
		if enc == "x-gzip" {
			enc = "gzip"
		}
		code, body, _ := post(coding, encode(t, enc, payload))
		if code != 200 || body != "got compressed" {
			t.Errorf("%s: %d %s", coding, code, body)
		}
	}
	// 64 MiB of zeros: about 64 KB gzip, 2 KB zstd/br on the wire.
	bomb := make([]byte, 64<<20)
	for _, coding := range []string{"gzip", "zstd", "br"} {
		code, body, hdr := post(coding, encode(t, coding, bomb))
		var p map[string]any
		if code != 413 || hdr.Get("Content-Type") != "application/problem+json" || json.Unmarshal([]byte(body), &p) != nil {
			t.Errorf("%s bomb: %d %s", coding, code, body)
		}
	}
	if code, body, hdr := post("compress", payload); code != 415 || hdr.Get("Accept-Encoding") != "gzip, zstd, br" {
		t.Errorf("unknown coding: %d %s %v", code, body, hdr)
	}
	if code, body, _ := post("gzip, br", payload); code != 415 {
		t.Errorf("stacked codings: %d %s", code, body)
	}
	if code, body, _ := post("gzip", []byte("not gzip at all")); code != 400 {
		t.Errorf("corrupt gzip: %d %s", code, body)
	}
	if code, body, _ := post("identity", payload); code != 200 || body != "got compressed" {
		t.Errorf("identity: %d %s", code, body)
	}
	// Off by default: the coded body reaches the handler as is.
	plainApp := newApp(t)
	plainApp.POST("/raw", func(c *covet.Context) error {
		b, _ := io.ReadAll(c.Request().Body)
		return c.Text(http.StatusOK, c.Header("Content-Encoding")+fmt.Sprint(len(b)))
	})
	gz := encode(t, "gzip", payload)
	rec := serve(plainApp, http.MethodPost, "/raw", map[string]string{"Content-Encoding": "gzip"}, bytes.NewReader(gz))
	if rec.Body.String() != fmt.Sprint("gzip", len(gz)) {
		t.Errorf("decompression not opt-in: %s", rec.Body.String())
	}
}
