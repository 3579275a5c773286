package middleware_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// idApp answers with the request ID as the Context, the request's
// context.Context and the log records see it.
func idApp(opts ...middleware.RequestIDOption) (*covet.App, *logBuffer) {
	app, logs := newApp()
	app.Use(middleware.RequestID(opts...))
	app.GET("/", func(c *covet.Context) error {
		c.Logger().Info("via c.Logger")
		c.App().Logger().InfoContext(c.Context(), "via app logger")
		return c.Text(200, c.RequestID()+" "+covet.RequestIDFrom(c.Context()))
	})
	app.GET("/fail", func(c *covet.Context) error { return covet.NewError(http.StatusConflict, "taken") })
	return app, logs
}

func TestRequestIDGeneratedWhenAbsent(t *testing.T) {
	app, logs := idApp()
	res := covettest.New(t, app).Get("/").Do().ExpectStatus(200)
	id := res.Header.Get("X-Request-ID")
	if !generatedID.MatchString(id) {
		t.Fatalf("generated ID %q is not 32 hex digits", id)
	}
	res.ExpectBody(id + " " + id)
	for _, msg := range []string{"via c.Logger", "via app logger"} {
		recs := logs.Find(t, msg)
		if len(recs) != 1 || recs[0]["request_id"] != id {
			t.Errorf("%s: records %v, want request_id %q", msg, recs, id)
		}
	}
}

func TestRequestIDInProblems(t *testing.T) {
	app, _ := idApp()
	res := covettest.New(t, app).Get("/fail").Header("X-Request-ID", "abc-123").Do().ExpectStatus(409)
	if p := res.Problem(); p.RequestID != "abc-123" {
		t.Errorf("problem request_id = %q", p.RequestID)
	}
}

func TestRequestIDIncoming(t *testing.T) {
	tests := []struct {
		name, in string
		kept     bool
	}{
		{"uuid", "0b9c6f5e-3d1a-4f3e-9a57-1c2d3e4f5a6b", true},
		{"proxy style", "Root=1-5f84c3a3-91f49ae2;Parent=1/2:x", true},
		{"128 chars", strings.Repeat("a", 128), true},
		{"129 chars", strings.Repeat("a", 129), false},
		{"space", "a b", false},
		{"double quote", `a"b`, false},
		{"single quote", "a'b", false},
		{"backslash", `a\b`, false},
		{"angle brackets", "<script>", false},
		{"control character", "a\x01b", false},
		{"tab", "a\tb", false},
		{"non-ASCII", "idé", false},
		{"DEL", "a\x7fb", false},
	}
	app, _ := idApp()
	cl := covettest.New(t, app)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := cl.Get("/").Build()
			req.Header["X-Request-Id"] = []string{tt.in}
			rec := serve(app, req)
			got := rec.Header().Get("X-Request-ID")
			if tt.kept && got != tt.in {
				t.Errorf("ID %q replaced by %q", tt.in, got)
			}
			if !tt.kept && !generatedID.MatchString(got) {
				t.Errorf("ID %q: answered %q, want a new generated ID", tt.in, got)
			}
		})
	}
}

func TestRequestIDOptions(t *testing.T) {
	t.Run("header name", func(t *testing.T) {
		app, _ := idApp(middleware.WithRequestIDHeader("x-correlation-id"))
		res := covettest.New(t, app).Get("/").Header("X-Correlation-ID", "corr-1").Do()
		res.ExpectHeader("X-Correlation-ID", "corr-1").ExpectNoHeader("X-Request-ID").ExpectBody("corr-1 corr-1")
	})
	t.Run("client IDs refused", func(t *testing.T) {
		app, _ := idApp(middleware.WithRequestIDFromClient(false))
		res := covettest.New(t, app).Get("/").Header("X-Request-ID", "chosen-by-client").Do()
		if got := res.Header.Get("X-Request-ID"); !generatedID.MatchString(got) {
			t.Errorf("got %q, want a generated ID", got)
		}
	})
	t.Run("generator", func(t *testing.T) {
		app, _ := idApp(middleware.WithRequestIDGenerator(func() string { return "fixed" }))
		covettest.New(t, app).Get("/").Do().ExpectHeader("X-Request-ID", "fixed").ExpectBody("fixed fixed")
	})
}

func TestNewRequestIDUnique(t *testing.T) {
	const goroutines, each = 4, 5000
	var mu sync.Mutex
	seen := make(map[string]bool, goroutines*each)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := make([]string, each)
			for i := range ids {
				ids[i] = middleware.NewRequestID()
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if seen[id] || !generatedID.MatchString(id) {
					t.Errorf("duplicate or malformed ID %q", id)
				}
				seen[id] = true
			}
		}()
	}
	wg.Wait()
}

// TestHexDigits checks the word-at-a-time hex digits of generated IDs
// against fmt's %08x (reversed: hexDigits writes the lowest nibble first).
func TestHexDigits(t *testing.T) {
	check := func(v uint32) {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], middleware.HexDigits(v))
		want := []byte(fmt.Sprintf("%08x", v))
		slices.Reverse(want)
		if string(b[:]) != string(want) {
			t.Fatalf("hexDigits(%#x) = %q, want %q", v, b[:], want)
		}
	}
	for _, v := range []uint32{0, 1, 9, 10, 15, 16, 0xffffffff, 0x01234567, 0x89abcdef, 0xa0a0a0a0, 0x9f9f9f9f} {
		check(v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		check(rng.Uint32())
	}
}
