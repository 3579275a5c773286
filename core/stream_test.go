package covet_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// largeTests turns on the 1 GB stream and 100 MB upload sizes (the default
// runs use smaller sizes and check the same bounds).
var largeTests = os.Getenv("COVET_LARGE_TESTS") == "1"

// pattern is an endless reader of repeating bytes that allocates nothing.
type pattern struct{ n, limit int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.limit >= 0 && p.n >= p.limit {
		return 0, io.EOF
	}
	if p.limit >= 0 && int64(len(b)) > p.limit-p.n {
		b = b[:p.limit-p.n]
	}
	for i := range b {
		b[i] = byte('a' + (p.n+int64(i))%26)
	}
	p.n += int64(len(b))
	return len(b), nil
}

func procStatus(t testing.TB, key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status: memory is measured on Linux only")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return 0
}

// peakGrowth runs fn and returns how far the resident set's peak rose above
// the resident set before it (VmHWM is reset through /proc/self/clear_refs).
func peakGrowth(t testing.TB, fn func()) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	before := procStatus(t, "VmRSS")
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak RSS: %v", err)
	}
	fn()
	return procStatus(t, "VmHWM") - before
}

func TestStreamLargeResponseConstantMemory(t *testing.T) {
	size := int64(128 << 20)
	if largeTests {
		size = 1 << 30
	}
	app := covet.New()
	app.GET("/big", func(c *covet.Context) error {
		return c.Stream(200, "application/octet-stream", &pattern{limit: size})
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	var got int64
	growth := peakGrowth(t, func() {
		res, err := http.Get(srv.URL + "/big")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		got, err = io.Copy(io.Discard, res.Body)
		if err != nil {
			t.Fatal(err)
		}
	})
	if got != size {
		t.Fatalf("received %d bytes, want %d", got, size)
	}
	t.Logf("streamed %d MiB; peak RSS growth %.1f MiB", size>>20, float64(growth)/(1<<20))
	if growth > 16<<20 {
		t.Errorf("peak RSS grew by %d bytes streaming %d bytes (limit 16 MiB)", growth, size)
	}
}

func TestStreamStopsWhenTheClientLeaves(t *testing.T) {
	done := make(chan error, 1)
	app := covet.New()
	app.GET("/endless", func(c *covet.Context) error {
		err := c.Stream(200, "text/plain", &pattern{limit: -1})
		done <- err
		return err
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/endless")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, res.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Stream returned nil after the client left")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the handler still streams after the client left")
	}
}

func TestSSEFraming(t *testing.T) {
	app := covet.New()
	app.GET("/events", func(c *covet.Context) error {
		s := c.SSE()
		if err := s.Send(covet.Event{ID: "1", Event: "greeting", Data: "hello\nworld", Retry: 2 * time.Second}); err != nil {
			return err
		}
		if err := s.Comment("ping"); err != nil {
			return err
		}
		if err := s.Send(covet.Event{ID: "bad\nid"}); err == nil {
			t.Error("an id with a newline was sent")
		}
		return s.Send(covet.Event{Data: "bye"})
	})
	body := covettest.New(t, app).Get("/events").Do().ExpectStatus(200).
		ExpectHeader("Content-Type", "text/event-stream").ExpectHeader("Cache-Control", "no-cache").Body
	// Retry 2 s is sent with up to 50 % jitter: 2000 to 2999 ms.
	if !regexp.MustCompile(`^id: 1\nevent: greeting\nretry: 2[0-9]{3}\ndata: hello\ndata: world\n\n: ping\n\ndata: bye\n\n$`).Match(body) {
		t.Fatalf("body %q", body)
	}
}

// multipartRequest builds a streamed upload of size bytes in one file part.
func multipartRequest(target string, size int64) *http.Request {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		w, err := mw.CreateFormFile("file", "data.bin")
		if err == nil {
			bw := bufio.NewWriterSize(w, 256<<10)
			_, err = io.CopyBuffer(bw, &pattern{limit: size}, make([]byte, 256<<10))
			if err == nil {
				err = bw.Flush()
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	r := httptest.NewRequest(http.MethodPost, target, pr)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

type bigUpload struct {
	File *covet.File `form:"file" required:"true"`
}

func uploadHandlers(tb testing.TB, size int64) (covetH, rawH http.Handler) {
	app := covet.New(covet.WithMultipartLimits(covet.MultipartLimits{MaxBodySize: size + 1<<20}))
	covet.Post(app, "/up", func(c *covet.Context, in *bigUpload) (*struct{}, error) {
		if in.File.Size != size {
			return nil, errors.New("short upload")
		}
		return nil, nil
	})
	raw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			f, err := os.CreateTemp("", "raw-upload-*")
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			n, err := io.Copy(f, p)
			f.Close()
			os.Remove(f.Name())
			if err != nil || n != size {
				http.Error(w, "short upload", 400)
				return
			}
		}
		w.WriteHeader(204)
	})
	return app, raw
}

func TestUploadLargeConstantMemory(t *testing.T) {
	size := int64(32 << 20)
	if largeTests {
		size = 100 << 20
	}
	h, _ := uploadHandlers(t, size)
	rec := httptest.NewRecorder()
	growth := peakGrowth(t, func() {
		h.ServeHTTP(rec, multipartRequest("/up", size))
	})
	if rec.Code != 204 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	t.Logf("uploaded %d MiB; peak RSS growth %.1f MiB", size>>20, float64(growth)/(1<<20))
	if growth > 16<<20 {
		t.Errorf("peak RSS grew by %d bytes for a %d-byte upload (limit 16 MiB)", growth, size)
	}
}

// BenchmarkUpload compares a 100 MB upload spooled by a typed handler with
// the same upload copied to a temporary file by a raw MultipartReader loop.
func BenchmarkUpload(b *testing.B) {
	const size = 100 << 20
	covetH, rawH := uploadHandlers(b, size)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"impl=raw", rawH}, {"impl=covet", covetH}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				rec := httptest.NewRecorder()
				bc.h.ServeHTTP(rec, multipartRequest("/up", size).WithContext(context.Background()))
				if rec.Code != 204 {
					b.Fatalf("status %d: %s", rec.Code, bytes.TrimSpace(rec.Body.Bytes()))
				}
			}
		})
	}
}
