package middleware_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// unsized hides a reader's type, so neither httptest nor http.Client can
// learn the body's length (it is sent chunked).
type unsized struct{ io.Reader }

func bodyApp(t *testing.T) (*covet.App, *error) {
	app, _ := newApp()
	var readErr error
	echo := func(c *covet.Context) error {
		b, err := io.ReadAll(c.Request().Body)
		readErr = err
		if err != nil {
			return err
		}
		return c.Text(200, string(b))
	}
	app.Use(middleware.BodyLimit(100))
	app.POST("/small", echo, middleware.BodyLimit(10))
	app.POST("/default", echo)
	app.GET("/get", func(c *covet.Context) error { return c.Text(200, "no body") })
	return app, &readErr
}

func TestBodyLimitContentLengthRefusedUnread(t *testing.T) {
	app, _ := newApp()
	ran := false
	app.POST("/", func(c *covet.Context) error { ran = true; return nil }, middleware.BodyLimit(10))
	body := &countingReader{r: strings.NewReader(strings.Repeat("x", 11))}
	req := httptest.NewRequest("POST", "/", body)
	req.ContentLength = 11
	rec := serve(app, req)
	if rec.Code != http.StatusRequestEntityTooLarge || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if ran || body.n != 0 {
		t.Errorf("handler ran: %v; body bytes read: %d", ran, body.n)
	}
	if !strings.Contains(rec.Body.String(), "larger than the limit of 10 bytes") {
		t.Errorf("problem = %s", rec.Body)
	}
}

func TestBodyLimit(t *testing.T) {
	tests := []struct {
		name, path string
		size       int
		sized      bool
		status     int
	}{
		{"route limit, within", "/small", 10, false, 200},
		{"route limit, over, unsized", "/small", 11, false, 413},
		{"route limit, over, sized", "/small", 11, true, 413},
		{"default limit, within", "/default", 100, false, 200},
		{"default limit, over, unsized", "/default", 101, false, 413},
		{"default limit, over, sized", "/default", 1000, true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, readErr := bodyApp(t)
			var body io.Reader = strings.NewReader(strings.Repeat("x", tt.size))
			if !tt.sized {
				body = unsized{body}
			}
			req := httptest.NewRequest("POST", tt.path, body)
			if !tt.sized {
				req.ContentLength = -1
			}
			rec := serve(app, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 200 && rec.Body.Len() != tt.size {
				t.Errorf("echoed %d bytes, want %d", rec.Body.Len(), tt.size)
			}
			if tt.status == 413 && !tt.sized {
				var mbe *http.MaxBytesError
				var sc covet.StatusCoder
				if !errors.As(*readErr, &mbe) || !errors.As(*readErr, &sc) || sc.StatusCode() != 413 {
					t.Errorf("read error %v: want a 413 StatusCoder wrapping *http.MaxBytesError", *readErr)
				}
				if rec.Header().Get("Content-Type") != "application/problem+json" {
					t.Errorf("content type %q", rec.Header().Get("Content-Type"))
				}
			}
		})
	}
	t.Run("no body", func(t *testing.T) {
		app, _ := bodyApp(t)
		covettest.New(t, app).Get("/get").Do().ExpectStatus(200).ExpectBody("no body")
	})
}

// Over a real connection, net/http closes it after a refused body instead of
// reading the rest (without the limit's signal it would read and discard up
// to 256 KiB to keep the connection alive).
func TestBodyLimitOverTheNetwork(t *testing.T) {
	app, _ := bodyApp(t)
	srv := httptest.NewServer(app)
	defer srv.Close()
	for _, sized := range []bool{false, true} {
		var body io.Reader = strings.NewReader(strings.Repeat("x", 64<<10))
		if !sized {
			body = unsized{body}
		}
		res, err := http.Post(srv.URL+"/small", "text/plain", body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 413 || !strings.Contains(string(b), `"status":413`) {
			t.Errorf("sized %v: status %d, body %s", sized, res.StatusCode, b)
		}
		if !sized && !res.Close {
			t.Errorf("unsized body: the server kept the connection open after refusing it")
		}
	}
}

func TestBodyLimitNegativePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	middleware.BodyLimit(-1)
}

// Core's binding reports the limit as a 413 too, for a body of unknown length.
func TestBodyLimitWithBind(t *testing.T) {
	app, _ := newApp()
	app.POST("/", func(c *covet.Context) error {
		var in struct {
			Text string `json:"text"`
		}
		if err := c.Bind(&in); err != nil {
			return err
		}
		return c.Text(200, in.Text)
	}, middleware.BodyLimit(32))
	for size, want := range map[int]int{10: 200, 100: 413} {
		req := httptest.NewRequest("POST", "/", unsized{strings.NewReader(`{"text":"` + strings.Repeat("x", size) + `"}`)})
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		if rec := serve(app, req); rec.Code != want {
			t.Errorf("%d-byte text: status %d, want %d: %s", size, rec.Code, want, rec.Body)
		}
	}
}
