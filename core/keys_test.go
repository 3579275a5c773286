package covet_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type tenant struct{ id string }

var tenantKey = covet.NewKey[*tenant]("test.tenant")

// repoTenant is code below the handler: it gets a plain context.
func repoTenant(ctx context.Context) string {
	if t, ok := tenantKey.FromContext(ctx); ok {
		return t.id
	}
	return "none"
}

// TestKeyFromContext checks that a value set on a request is read from its
// context, from contexts derived from it, after middleware replaced the
// request with one derived from an older request, and by a goroutine that
// outlives the request (the values are not recycled with the Context).
func TestKeyFromContext(t *testing.T) {
	otherKey := covet.NewKey[int]("test.other")
	app := covet.New()
	late := make(chan string, 1)
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			before := c.Request() // taken before the value is set
			if id := c.Header("X-Tenant"); id != "" {
				tenantKey.Set(c, &tenant{id: id})
			}
			if c.Query("replace") != "" {
				// Middleware that derives its request from the one it saw
				// first (the orm pattern) does not lose the values.
				type k struct{}
				c.SetRequest(before.WithContext(context.WithValue(before.Context(), k{}, 1)))
			}
			return next(c)
		}
	})
	app.GET("/", func(c *covet.Context) error {
		ctx, cancel := context.WithTimeout(c.Context(), time.Minute)
		defer cancel()
		if _, ok := otherKey.FromContext(ctx); ok {
			t.Error("a key never set was found")
		}
		if c.Query("late") != "" {
			rctx := c.Request().Context()
			go func() {
				time.Sleep(10 * time.Millisecond) // after the request ended
				late <- repoTenant(rctx)
			}()
		}
		return c.Text(200, repoTenant(ctx)+" "+repoTenant(c.Request().Context()))
	})
	cl := covettest.New(t, app)
	cl.Get("/").Header("X-Tenant", "acme").Do().ExpectBody("acme acme")
	cl.Get("/").Do().ExpectBody("none none")
	cl.Get("/").Query("replace", "1").Header("X-Tenant", "globex").Do().ExpectBody("globex globex")
	cl.Get("/").Query("late", "1").Header("X-Tenant", "initech").Do().ExpectBody("initech initech")
	// Other requests reuse the pooled Context meanwhile.
	for i := 0; i < 5; i++ {
		cl.Get("/").Header("X-Tenant", "other").Do().ExpectBody("other other")
	}
	if got := <-late; got != "initech" {
		t.Errorf("a goroutine that outlived its request read %q, want initech", got)
	}
	if _, ok := tenantKey.FromContext(context.Background()); ok {
		t.Error("found a value in a context of no request")
	}
}

// TestKeyDelete checks Delete with several values set.
func TestKeyDelete(t *testing.T) {
	a, b, d := covet.NewKey[int]("a"), covet.NewKey[int]("b"), covet.NewKey[int]("d")
	app := covet.New()
	app.GET("/", func(c *covet.Context) error {
		a.Set(c, 1)
		b.Set(c, 2)
		d.Set(c, 3)
		b.Delete(c)
		_, okb := b.Get(c)
		va, _ := a.FromContext(c.Context())
		vd, _ := d.Get(c)
		if okb || va != 1 || vd != 3 {
			t.Errorf("after Delete: b found %v, a=%d d=%d", okb, va, vd)
		}
		return c.NoContent(204)
	})
	covettest.New(t, app).Get("/").Do().ExpectStatus(204)
}

// BenchmarkContextKeys measures a request that sets no key, one that sets
// and reads one, and one whose handler reads it from the context. The
// allocations are the figure to watch (see CHANGELOG v0.2.0).
func BenchmarkContextKeys(b *testing.B) {
	key := covet.NewKey[*tenant]("bench.tenant")
	tn := &tenant{id: "t"}
	run := func(b *testing.B, h covet.HandlerFunc) {
		app := covet.New()
		app.GET("/", h)
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			clear(w.h)
			app.ServeHTTP(w, req)
		}
	}
	b.Run("none", func(b *testing.B) {
		run(b, func(c *covet.Context) error { return c.NoContent(204) })
	})
	b.Run("set-get", func(b *testing.B) {
		run(b, func(c *covet.Context) error {
			key.Set(c, tn)
			if _, ok := key.Get(c); !ok {
				b.Fatal("not found")
			}
			return c.NoContent(204)
		})
	})
	b.Run("set-fromcontext", func(b *testing.B) {
		run(b, func(c *covet.Context) error {
			key.Set(c, tn)
			if _, ok := key.FromContext(c.Context()); !ok {
				b.Fatal("not found")
			}
			return c.NoContent(204)
		})
	})
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// TestKeySetKeepsTheRequest checks that middleware which took the request
// before setting a value and then changes it (a counting body) changes the
// request the handler gets (contrib/plugins/requestsize does this).
func TestKeySetKeepsTheRequest(t *testing.T) {
	app := covet.New()
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			r := c.Request()
			tenantKey.Set(c, &tenant{id: "acme"})
			r.Body = io.NopCloser(strings.NewReader("replaced"))
			r.Header.Set("X-Seen", "yes")
			return next(c)
		}
	})
	app.POST("/", func(c *covet.Context) error {
		b, _ := io.ReadAll(c.Request().Body)
		return c.Text(200, string(b)+" "+c.Header("X-Seen")+" "+repoTenant(c.Context()))
	})
	covettest.New(t, app).Post("/").Text("original").Do().ExpectBody("replaced yes acme")
}
