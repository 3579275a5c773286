package middleware_test

import (
	"context"
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

type tenantKey struct{}

// tenant is a standard net/http middleware, written as for chi or plain
// net/http: it sets a response header and a request context value.
func tenant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Tenant", "acme")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, "acme")))
	})
}

// countingWriter is what a standard middleware that wraps the writer (a
// compressor, a metrics recorder) looks like.
type countingWriter struct {
	http.ResponseWriter
	bytes *int
}

func (w countingWriter) Write(b []byte) (int, error) {
	*w.bytes += len(b)
	return w.ResponseWriter.Write(b)
}

func TestStandardMiddlewareThroughWrapMiddleware(t *testing.T) {
	app, _ := newApp()
	written := 0
	counting := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(countingWriter{w, &written}, r)
		})
	}
	app.Use(middleware.RequestID(), covet.WrapMiddleware(tenant), covet.WrapMiddleware(counting), middleware.SecureHeaders())
	app.GET("/", func(c *covet.Context) error {
		v, _ := c.Context().Value(tenantKey{}).(string)
		return c.Text(200, "tenant="+v+" id="+c.RequestID())
	})
	app.GET("/fail", func(c *covet.Context) error { return covet.NewError(http.StatusForbidden, "not yours") })
	// A plain http.Handler as a route, with covet middleware around it.
	app.GET("/plain", covet.WrapHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := r.Context().Value(tenantKey{}).(string)
		_, _ = w.Write([]byte("plain tenant=" + v + " id=" + covet.RequestIDFrom(r.Context())))
	})))

	cl := covettest.New(t, app)
	res := cl.Get("/").Header("X-Request-ID", "r1").Do().ExpectStatus(200).ExpectBody("tenant=acme id=r1").
		ExpectHeader("X-Tenant", "acme").ExpectHeader("X-Frame-Options", "DENY")
	if written != len(res.Body) {
		t.Errorf("the wrapping middleware saw %d bytes, the client got %d", written, len(res.Body))
	}
	cl.Get("/plain").Header("X-Request-ID", "r2").Do().ExpectStatus(200).
		ExpectBody("plain tenant=acme id=r2").ExpectHeader("X-Tenant", "acme")

	// An error below a standard middleware is answered through its writer.
	written = 0
	res = cl.Get("/fail").Do().ExpectStatus(http.StatusForbidden).ExpectHeader("X-Tenant", "acme")
	if p := res.Problem(); p.Detail != "not yours" || written != len(res.Body) {
		t.Errorf("problem %+v; wrapping middleware saw %d of %d bytes", p, written, len(res.Body))
	}
}

// TestWrappedSeeRequestID: a standard middleware and a plain http.Handler
// right after RequestID (nothing between that reads the request) find the
// ID on the request's context.
func TestWrappedSeeRequestID(t *testing.T) {
	app, _ := newApp()
	var seenByMiddleware string
	peek := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seenByMiddleware = covet.RequestIDFrom(r.Context())
			next.ServeHTTP(w, r)
		})
	}
	app.Use(middleware.RequestID())
	app.GET("/plain", covet.WrapHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("id=" + covet.RequestIDFrom(r.Context())))
	})))
	app.GET("/mw", func(c *covet.Context) error { return c.Text(200, "ok") }, covet.WrapMiddleware(peek))
	cl := covettest.New(t, app)
	cl.Get("/plain").Header("X-Request-ID", "r3").Do().ExpectStatus(200).ExpectBody("id=r3")
	cl.Get("/mw").Header("X-Request-ID", "r4").Do().ExpectStatus(200)
	if seenByMiddleware != "r4" {
		t.Fatalf("the standard middleware saw request ID %q, want r4", seenByMiddleware)
	}
}
