package typed

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"syscall"
	"testing"
)

type impl struct {
	name string
	h    http.Handler
}

func impls() []impl {
	return []impl{
		{"handwritten", NewHandwritten()},
		{"covet", NewCovet()},
		{"gin", NewGin()},
		{"echo", NewEcho()},
		{"huma", NewHuma()},
	}
}

// cheapWriter is a ResponseWriter that keeps the status and counts bytes;
// its header map is cleared per request.
type cheapWriter struct {
	h      http.Header
	status int
	n      int
	body   bytes.Buffer
	keep   bool
}

func (w *cheapWriter) Header() http.Header { return w.h }
func (w *cheapWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *cheapWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	w.n += len(b)
	if w.keep {
		w.body.Write(b)
	}
	return len(b), nil
}
func (w *cheapWriter) reset() { clear(w.h); w.status, w.n = 0, 0; w.body.Reset() }

func newRequest(body []byte) (*http.Request, *bytes.Reader) {
	rd := bytes.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, Target, rd)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Request-Source", "test")
	return r, rd
}

func serve(h http.Handler, r *http.Request, rd *bytes.Reader, body []byte, w *cheapWriter) {
	rd.Reset(body)
	r.Body = readCloser{rd}
	r.ContentLength = int64(len(body))
	w.reset()
	h.ServeHTTP(w, r)
}

// cpuTime returns the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func TestEndpoints(t *testing.T) {
	want := ItemResult{ID: 42, Org: "acme", Source: "test", DryRun: true, Tags: []string{"a", "b"}, Total: 19.99 * 3}
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			r, rd := newRequest(ValidBody)
			w := &cheapWriter{h: http.Header{}, keep: true}
			for i := 0; i < 3; i++ {
				serve(im.h, r, rd, ValidBody, w)
				if w.status != 200 {
					t.Fatalf("valid: status %d: %s", w.status, w.body.String())
				}
				var got ItemResult
				if err := json.Unmarshal(w.body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if got.ID != want.ID || got.Org != want.Org || got.Source != want.Source || got.DryRun != want.DryRun || strings.Join(got.Tags, ",") != "a,b" || got.Total != want.Total {
					t.Fatalf("valid: got %+v", got)
				}
			}
			serve(im.h, r, rd, InvalidBody, w)
			if w.status != 422 {
				t.Fatalf("invalid: status %d: %s", w.status, w.body.String())
			}
			var p struct {
				Errors []struct {
					Location string `json:"location"`
					Field    string `json:"field"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(w.body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			var locs []string
			for _, e := range p.Errors {
				l := e.Location
				if e.Field != "" {
					l += "." + e.Field
				}
				locs = append(locs, l)
			}
			sort.Strings(locs)
			if strings.Join(locs, " ") != "body.email body.kind body.quantity" {
				t.Fatalf("invalid: errors at %v: %s", locs, w.body.String())
			}
		})
	}
}

func BenchmarkEndpoint(b *testing.B) {
	for _, req := range []struct {
		name string
		body []byte
	}{{"valid", ValidBody}, {"invalid", InvalidBody}} {
		for _, im := range impls() {
			b.Run("req="+req.name+"/impl="+im.name, func(b *testing.B) {
				r, rd := newRequest(req.body)
				w := &cheapWriter{h: http.Header{}}
				serve(im.h, r, rd, req.body, w) // warm-up
				b.ReportAllocs()
				start := cpuTime()
				for b.Loop() {
					serve(im.h, r, rd, req.body, w)
				}
				// CPU time per op (all threads, GC included) varies less than
				// wall time on a shared machine.
				b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
