package covet_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type dupError struct{ constraint string }

func (e *dupError) Error() string { return "duplicate key " + e.constraint }

var errNoStock = errors.New("no stock")

// TestTranslateErrors checks that translators apply whatever the order of
// middleware (one that renders the error early included), that the first
// registered wins, that errors with a status are left alone, and that the
// original error stays reachable.
func TestTranslateErrors(t *testing.T) {
	renderEarly := func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			if err := next(c); err != nil {
				c.HandleError(err) // the old pattern: renders before outer code sees it
			}
			return nil
		}
	}
	var seen error
	newApp := func(early bool) *covet.App {
		app := covet.New(covet.WithErrorHandler(func(c *covet.Context, err error) {
			seen = err
			covet.DefaultErrorHandler(c, err)
		}))
		if early {
			app.Use(renderEarly)
		}
		covet.TranslateError(app, func(c *covet.Context, e *dupError) *covet.Error {
			return covet.NewError(http.StatusConflict, "already exists").WithExtension("constraint", e.constraint)
		})
		app.TranslateErrors(func(c *covet.Context, err error) *covet.Error {
			if errors.Is(err, errNoStock) {
				return covet.NewError(http.StatusUnprocessableEntity, "out of stock")
			}
			return nil
		})
		app.TranslateErrors(func(c *covet.Context, err error) *covet.Error {
			return covet.NewError(http.StatusTeapot, "second translator: never reached for known errors")
		})
		app.GET("/dup", func(c *covet.Context) error { return fmt.Errorf("insert: %w", &dupError{"users_email_key"}) })
		app.GET("/stock", func(c *covet.Context) error { return errNoStock })
		app.GET("/http", func(c *covet.Context) error { return covet.NewError(http.StatusForbidden, "no") })
		app.GET("/other", func(c *covet.Context) error { return errors.New("x") })
		return app
	}
	for _, early := range []bool{false, true} {
		cl := covettest.New(t, newApp(early))
		r := cl.Get("/dup").Do().ExpectStatus(http.StatusConflict)
		if !strings.Contains(r.Text(), `"constraint":"users_email_key"`) {
			t.Errorf("early=%v: problem %s", early, r.Text())
		}
		var de *dupError
		if !errors.As(seen, &de) {
			t.Errorf("early=%v: the translated error lost its cause: %v", early, seen)
		}
		cl.Get("/stock").Do().ExpectStatus(http.StatusUnprocessableEntity)
		cl.Get("/http").Do().ExpectStatus(http.StatusForbidden)
		cl.Get("/other").Do().ExpectStatus(http.StatusTeapot)
	}
}

// TestWrapErrorHandler checks that error rendering can be extended after
// New: a wrapper adds a header to 401s and renders 404s itself.
func TestWrapErrorHandler(t *testing.T) {
	app := covet.New()
	app.WrapErrorHandler(func(next covet.ErrorHandler) covet.ErrorHandler {
		return func(c *covet.Context, err error) {
			var e *covet.Error
			if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
				c.SetHeader("WWW-Authenticate", `Bearer realm="api"`)
			}
			next(c, err)
		}
	})
	app.WrapErrorHandler(func(next covet.ErrorHandler) covet.ErrorHandler {
		return func(c *covet.Context, err error) {
			var e *covet.Error
			if errors.As(err, &e) && e.Status == http.StatusNotFound {
				_ = c.HTML(http.StatusNotFound, "<h1>Not here</h1>")
				return
			}
			next(c, err)
		}
	})
	app.GET("/private", func(c *covet.Context) error { return covet.NewError(http.StatusUnauthorized, "log in") })
	cl := covettest.New(t, app)
	cl.Get("/private").Do().ExpectStatus(401).ExpectHeader("WWW-Authenticate", `Bearer realm="api"`).
		ExpectHeader("Content-Type", "application/problem+json")
	cl.Get("/missing").Do().ExpectStatus(404).ExpectBody("<h1>Not here</h1>")
}

// TestStaticNotFoundIsNotShared is issue 12 §4: an error handler that adds
// a header to the static 404 must not change the next 404 (nor race with a
// concurrent one; run with -race).
func TestStaticNotFoundIsNotShared(t *testing.T) {
	app := covet.New(covet.WithErrorHandler(func(c *covet.Context, err error) {
		var e *covet.Error
		if errors.As(err, &e) {
			e.WithHeader("X-Seen", "1")
		}
		covet.DefaultErrorHandler(c, err)
		c.Response().Header().Add("X-Seen", "late") // must not land in the error's slice
	}))
	app.Static("/assets", fstest.MapFS{"a.txt": {Data: []byte("a")}})
	cl := covettest.New(t, app)
	for i := 0; i < 3; i++ {
		r := cl.Get("/assets/missing.txt").Do().ExpectStatus(404)
		if got := r.Header.Values("X-Seen"); len(got) != 1 || got[0] != "1" {
			t.Fatalf("404 #%d: X-Seen %q, want one value", i+1, got)
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := cl.Get("/assets/nope").Do()
			if got := r.Header.Values("X-Seen"); r.StatusCode != 404 || len(got) != 1 {
				t.Errorf("concurrent 404: status %d, X-Seen %q", r.StatusCode, got)
			}
		}()
	}
	wg.Wait()
}

// TestErrorCloneSharesNothing checks Clone and that a shared error's
// headers are copied into responses.
func TestErrorCloneSharesNothing(t *testing.T) {
	base := covet.NewError(http.StatusGone, "gone").WithHeader("Link", "a").WithExtension("k", 1)
	cp := base.Clone().WithHeader("Link", "b").WithExtension("k", 2)
	if got := base.Headers.Values("Link"); len(got) != 1 || base.Extensions["k"] != 1 {
		t.Errorf("Clone shares state: base headers %q, extensions %v", got, base.Extensions)
	}
	if got := cp.Headers.Values("Link"); len(got) != 2 {
		t.Errorf("clone headers %q", got)
	}
}
