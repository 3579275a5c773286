package middleware_test

import (
	"net/http"
	"net/http/httptest"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// logBuffer is covettest's log sink (shared with other modules' tests).
type logBuffer = covettest.LogBuffer

// newApp returns a production-mode app logging JSON (debug level included)
// into the returned buffer.
func newApp(opts ...covet.Option) (*covet.App, *logBuffer) {
	logs := &logBuffer{}
	base := []covet.Option{covet.WithDevelopment(false), covet.WithLogger(logs.Logger())}
	return covet.New(append(base, opts...)...), logs
}

// statusProbe is middleware that records the status and error it sees after
// the handlers below it return.
type statusProbe struct {
	status int
	err    error
	calls  int
}

func (p *statusProbe) mw(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		err := next(c)
		p.calls++
		p.status, p.err = c.Response().Status(), err
		return err
	}
}

// serve runs one request through h in-process.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}
