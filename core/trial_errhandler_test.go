package covet_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

// A custom error handler that panicked before writing left the response
// empty: the client got a 200 with no body for a failed request, and the
// panic was only a warning without its stack. The panic is answered with
// the default 500 problem and logged with its stack, with and without
// middleware.Recover.
func TestErrorHandlerPanicIs500(t *testing.T) {
	for _, withRecover := range []bool{false, true} {
		var logs bytes.Buffer
		app := covet.New(covet.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
			covet.WithErrorHandler(func(c *covet.Context, err error) {
				if strings.HasPrefix(c.Request().URL.Path, "/boom") {
					panic("error handler boom")
				}
				covet.DefaultErrorHandler(c, err)
			}))
		if withRecover {
			app.Use(middleware.Recover())
		}
		app.GET("/boom", func(c *covet.Context) error { return errors.New("x") })
		app.GET("/boom-panic", func(c *covet.Context) error { panic("handler boom") })
		app.GET("/fine", func(c *covet.Context) error { return covet.NewError(409, "taken") })
		cl := covettest.NewServer(t, app)
		for _, p := range []string{"/boom", "/boom-panic"} {
			if pr := cl.Get(p).Do().ExpectStatus(500).ExpectHeader("Content-Type", "application/problem+json").Problem(); pr.Status != 500 {
				t.Errorf("recover=%v %s: problem %+v", withRecover, p, pr)
			}
		}
		cl.Get("/fine").Do().ExpectStatus(409)
		if n := strings.Count(logs.String(), `"error":"panic: error handler boom"`); n != 2 {
			t.Errorf("recover=%v: %d records of the error handler's panic, want 2; logs:\n%s", withRecover, n, logs.String())
		}
		if !strings.Contains(logs.String(), `"stack":`) {
			t.Errorf("recover=%v: the panic is logged without its stack:\n%s", withRecover, logs.String())
		}
	}
}
