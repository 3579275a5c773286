package middleware_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

// setOuter is middleware outside Timeout that sets two response headers.
func setOuter(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		h := c.Response().Header()
		h.Set("X-Outer", "kept")
		h.Set("X-Doomed", "deleted below")
		return next(c)
	}
}

// TestTimeoutHandlerHeaders: whether the handlers set headers before they
// start the response (their own map, made when first asked for, holding the
// headers set before Timeout ran) or only through c.Text, c.JSON and c.Blob
// (which start it first, so they write the real map), the client gets the
// headers set outside, minus those deleted below, plus the handlers'.
func TestTimeoutHandlerHeaders(t *testing.T) {
	app, _ := newApp()
	app.Use(setOuter)
	timeout := middleware.Timeout(time.Minute)
	app.GET("/text", func(c *covet.Context) error { return c.Text(http.StatusOK, "text") }, timeout)
	app.GET("/json", func(c *covet.Context) error { return c.JSON(http.StatusCreated, map[string]int{"n": 1}) }, timeout)
	app.GET("/blob", func(c *covet.Context) error { return c.Blob(http.StatusOK, "image/png", []byte("png")) }, timeout)
	app.GET("/set-first", func(c *covet.Context) error {
		h := c.Response().Header()
		if got := h.Get("X-Outer"); got != "kept" {
			t.Errorf("the handler sees X-Outer = %q, want the value set outside", got)
		}
		h.Del("X-Doomed")
		h.Set("X-Handler", "yes")
		return c.Text(http.StatusOK, "set first")
	}, timeout)
	app.GET("/no-body", func(c *covet.Context) error {
		c.Response().Header().Del("X-Doomed")
		c.SetHeader("X-Handler", "yes")
		return nil // net/http's implicit 200 carries them
	}, timeout)
	cl := covettest.New(t, app)
	cl.Get("/text").Do().ExpectStatus(200).ExpectHeader("X-Outer", "kept").ExpectHeader("X-Doomed", "deleted below").
		ExpectHeader("Content-Type", "text/plain; charset=utf-8").ExpectBody("text")
	cl.Get("/json").Do().ExpectStatus(201).ExpectHeader("X-Outer", "kept").ExpectHeader("Content-Type", "application/json")
	cl.Get("/blob").Do().ExpectStatus(200).ExpectHeader("X-Outer", "kept").ExpectHeader("Content-Type", "image/png").ExpectBody("png")
	for _, path := range []string{"/set-first", "/no-body"} {
		cl.Get(path).Do().ExpectStatus(200).ExpectHeader("X-Outer", "kept").ExpectNoHeader("X-Doomed").ExpectHeader("X-Handler", "yes")
	}
}

// TestTimeoutWriteAfterAnswer: a handler that first touches the headers, or
// calls c.Text, after the timer answered changes nothing the client gets:
// its headers go to a map nobody sends, its c.Text fails with
// http.ErrHandlerTimeout, and the answer is the timeout problem with the
// headers set outside only.
func TestTimeoutWriteAfterAnswer(t *testing.T) {
	for _, touch := range []bool{false, true} {
		app, _ := newApp()
		app.Use(setOuter)
		timeout, expire := middleware.TimeoutWithTrigger(time.Hour)
		rec := newAnsweredRecorder()
		textErr := make(chan error, 1)
		app.GET("/late", func(c *covet.Context) error {
			go expire()
			rec.wait(t)
			if touch {
				c.SetHeader("X-Late", "dropped")
			}
			err := c.Text(http.StatusOK, "too late")
			textErr <- err
			return err
		}, timeout)
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/late", nil))
		if err := <-textErr; !errors.Is(err, http.ErrHandlerTimeout) {
			t.Errorf("touch=%v: c.Text after the answer returned %v, want http.ErrHandlerTimeout", touch, err)
		}
		res := rec.Result()
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("X-Late") != "" ||
			res.Header.Get("X-Outer") != "kept" || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("touch=%v: answer %d %v, want the 503 problem with X-Outer and no X-Late", touch, res.StatusCode, res.Header)
		}
		if body := rec.Body.String(); len(body) == 0 || body[0] != '{' {
			t.Errorf("touch=%v: body %q, want the problem only", touch, body)
		}
	}
}
