package covet_test

import (
	"io"
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// A handler that set the headers of the body it meant to send and then
// failed had them on its problem: with Content-Encoding: gzip the client
// could not read the problem at all ("gzip: invalid header"), and with
// Content-Disposition a browser saved it as the report. The problem drops
// them; headers of the error itself and of middleware stay.
func TestProblemDropsTheFailedHandlersRepresentationHeaders(t *testing.T) {
	app := covet.New()
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			c.Response().Header().Set("X-Frame-Options", "DENY")
			return next(c)
		}
	})
	app.GET("/report", func(c *covet.Context) error {
		h := c.Response().Header()
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Disposition", `attachment; filename="report.pdf"`)
		h.Set("ETag", `"abc"`)
		h["ETag"] = []string{`"abc"`}
		h.Set("Last-Modified", "Mon, 07 Dec 2026 10:00:00 GMT")
		h.Set("Content-Range", "bytes 0-9/100")
		return covet.NewError(http.StatusNotFound, "report not found").WithHeader("Retry-After", "10")
	})
	srv := covettest.NewServer(t, app)
	res, err := http.Get(srv.URL() + "/report")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body) // the transport would gunzip a body marked gzip
	if err != nil {
		t.Fatalf("the problem cannot be read: %v", err)
	}
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	for _, k := range []string{"Content-Encoding", "Content-Disposition", "Etag", "Last-Modified", "Content-Range"} {
		if v := res.Header.Values(k); len(v) > 0 {
			t.Errorf("%s: %q on the problem", k, v)
		}
	}
	if res.Header.Get("Retry-After") != "10" || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("the error's and the middleware's headers are gone: %v", res.Header)
	}
}
