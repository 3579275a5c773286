package covet_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// A plain handler calling WriteHeader with a code net/http refuses (0,
// 1000) made net/http panic after covet counted the response as started:
// the panic was logged as an abort and the connection cut with no answer.
// The code is checked first, so the panic is a 500 problem.
func TestInvalidWriteHeaderCodeIs500(t *testing.T) {
	app := covet.New()
	app.GET("/zero", func(c *covet.Context) error { c.Response().WriteHeader(0); return nil })
	app.GET("/big", func(c *covet.Context) error { return c.Text(1000, "x") })
	app.GET("/json", func(c *covet.Context) error { return c.JSON(-1, map[string]int{"a": 1}) })
	cl := covettest.NewServer(t, app)
	for _, p := range []string{"/zero", "/big", "/json"} {
		if pr := cl.Get(p).Do().ExpectStatus(500).ExpectHeader("Content-Type", "application/problem+json").Problem(); pr.Status != 500 {
			t.Errorf("%s: problem %+v", p, pr)
		}
	}
}
