package covet_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
)

type spanKey struct{}

// TestSetContext checks that a context set with SetContext is what the
// handler, the request, request IDs, keys and wrapped standard handlers
// see, in every order of setting them.
func TestSetContext(t *testing.T) {
	app := covet.New()
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			if c.Query("key-first") != "" {
				tenantKey.Set(c, &tenant{id: "early"})
			}
			c.SetContext(context.WithValue(c.Context(), spanKey{}, "span"))
			return next(c)
		}
	})
	app.Use(middleware.RequestID())
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			if c.Query("key-after") != "" {
				tenantKey.Set(c, &tenant{id: "late"})
			}
			return next(c)
		}
	})
	check := func(c *covet.Context, where string, ctx context.Context) {
		t.Helper()
		if v, _ := ctx.Value(spanKey{}).(string); v != "span" {
			t.Errorf("%s %s: SetContext's value missing", c.Request().URL, where)
		}
		if id := covet.RequestIDFrom(ctx); id == "" || id != c.RequestID() {
			t.Errorf("%s %s: request ID %q, want %q", c.Request().URL, where, id, c.RequestID())
		}
		want := "none"
		if c.Query("key-first") != "" {
			want = "early"
		}
		if c.Query("key-after") != "" {
			want = "late"
		}
		if got := repoTenant(ctx); got != want {
			t.Errorf("%s %s: key %q, want %q", c.Request().URL, where, got, want)
		}
	}
	app.GET("/", func(c *covet.Context) error {
		check(c, "Context()", c.Context())
		check(c, "Request().Context()", c.Request().Context())
		if c.Request().Context() != c.Context() {
			t.Errorf("%s: Context() and Request().Context() differ", c.Request().URL)
		}
		return c.Text(http.StatusOK, "ok")
	})
	app.GET("/only-context", func(c *covet.Context) error {
		// No request ID middleware effect needed: the context alone.
		if v, _ := c.Context().Value(spanKey{}).(string); v != "span" {
			t.Error("only-context: SetContext's value missing")
		}
		return c.Text(http.StatusOK, "ok")
	})
	app.GET("/wrapped", covet.WrapHandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, _ := r.Context().Value(spanKey{}).(string); v != "span" {
			t.Error("wrapped handler: SetContext's value missing")
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	for _, target := range []string{"/", "/?key-first=1", "/?key-after=1", "/?key-first=1&key-after=1", "/only-context", "/wrapped"} {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code >= 300 {
			t.Errorf("%s: status %d: %s", target, rec.Code, rec.Body)
		}
	}
}

// TestSetContextThenSetRequest checks that SetRequest replaces a pending
// context (the request given wins), and that a context set after it is
// seen again.
func TestSetContextThenSetRequest(t *testing.T) {
	type other struct{}
	app := covet.New()
	app.GET("/", func(c *covet.Context) error {
		r := c.Request()
		c.SetContext(context.WithValue(c.Context(), spanKey{}, "span"))
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), other{}, 1)))
		if c.Context().Value(spanKey{}) != nil {
			t.Error("the pending context outlived SetRequest")
		}
		if c.Request().Context().Value(other{}) == nil {
			t.Error("SetRequest's request lost")
		}
		c.SetContext(context.WithValue(c.Context(), spanKey{}, "again"))
		if v, _ := c.Request().Context().Value(spanKey{}).(string); v != "again" || c.Request().Context().Value(other{}) == nil {
			t.Error("SetContext after SetRequest not applied")
		}
		return c.NoContent(http.StatusNoContent)
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d", rec.Code)
	}
}

// TestSetContextNotKept checks that a pooled Context does not carry one
// request's context into the next.
func TestSetContextNotKept(t *testing.T) {
	app := covet.New()
	app.GET("/", func(c *covet.Context) error {
		if c.Context().Value(spanKey{}) != nil {
			t.Error("a context set by an earlier request is seen")
		}
		if c.Query("set") != "" {
			c.SetContext(context.WithValue(c.Context(), spanKey{}, "span"))
		}
		return c.NoContent(http.StatusNoContent)
	})
	for i := 0; i < 20; i++ {
		target := "/"
		if i%2 == 0 {
			target = "/?set=1"
		}
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
	}
}

// BenchmarkSetContext shows what SetContext spares: the request copy,
// when the handler reads the context only.
func BenchmarkSetContext(b *testing.B) {
	for _, tc := range []struct {
		name string
		set  func(c *covet.Context, ctx context.Context)
	}{
		{"SetContext", func(c *covet.Context, ctx context.Context) { c.SetContext(ctx) }},
		{"SetRequest", func(c *covet.Context, ctx context.Context) { c.SetRequest(c.Request().WithContext(ctx)) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			app := covet.New()
			app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
				return func(c *covet.Context) error {
					tc.set(c, context.WithValue(c.Context(), spanKey{}, "span"))
					return next(c)
				}
			})
			app.GET("/", func(c *covet.Context) error {
				_ = c.Context().Value(spanKey{})
				return c.NoContent(http.StatusNoContent)
			})
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				app.ServeHTTP(w, req)
			}
		})
	}
}
