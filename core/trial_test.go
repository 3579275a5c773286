package covet_test

// Regression tests for the defects found by the trialcore campaign (inputs
// an attacker or a demanding new user sends). Each failed before its fix.

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type trialItem struct {
	Name string `json:"name" minLength:"1"`
	Qty  int    `json:"qty"`
}

type trialForm struct {
	Name string `form:"name" required:"true"`
}

// A body sent with a Content-Encoding core does not decode was bound as if
// it had none: gzip bytes were "malformed JSON" (400), and a plain body
// that only claimed a coding was accepted. Both are 415 naming the coding,
// with Accept-Encoding: identity; identity itself is accepted.
func TestRequestContentEncodingRefused(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/typed", func(c *covet.Context, in *trialItem) (*trialItem, error) { return in, nil })
	app.POST("/bind", func(c *covet.Context) error {
		var in trialItem
		if err := c.BindJSON(&in); err != nil {
			return err
		}
		return c.JSON(200, in)
	})
	covet.Post(app, "/form", func(c *covet.Context, in *trialForm) (*trialItem, error) { return &trialItem{Name: in.Name}, nil })
	app.POST("/parts", func(c *covet.Context) error {
		return c.Multipart(func(p *covet.Part) error { return nil })
	})
	cl := covettest.New(t, app)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"name":"a","qty":1}`))
	_ = zw.Close()
	const plain = `{"name":"a","qty":1}`
	const mp = "--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--B--\r\n"

	for _, tc := range []struct {
		name, path, ct, coding, body string
	}{
		{"gzip typed", "/typed", "application/json", "gzip", gz.String()},
		{"gzip BindJSON", "/bind", "application/json", "gzip", gz.String()},
		{"claimed br", "/typed", "application/json", "br", plain},
		{"claimed deflate, identity", "/typed", "application/json", "identity, deflate", plain},
		{"urlencoded gzip", "/form", "application/x-www-form-urlencoded", "gzip", "name=x"},
		{"multipart gzip", "/form", "multipart/form-data; boundary=B", "gzip", mp},
		{"Multipart gzip", "/parts", "multipart/form-data; boundary=B", "x-gzip", mp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := cl.Post(tc.path).Header("Content-Encoding", tc.coding).Body(tc.ct, strings.NewReader(tc.body)).Do().
				ExpectStatus(http.StatusUnsupportedMediaType).
				ExpectHeader("Content-Type", "application/problem+json").
				ExpectHeader("Accept-Encoding", "identity")
			if p := res.Problem(); !strings.Contains(p.Detail, "Content-Encoding") {
				t.Errorf("detail %q does not name the Content-Encoding", p.Detail)
			}
		})
	}
	for _, coding := range []string{"identity", "IDENTITY", ""} {
		cl.Post("/typed").Header("Content-Encoding", coding).Body("application/json", strings.NewReader(plain)).Do().
			ExpectStatus(200).ExpectJSON(map[string]any{"name": "a", "qty": 1})
	}
}
