package covet_test

import (
	"net/url"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// A problem's instance was the decoded path: "/files/a b<c>" or a path with
// a control character is not a URI reference, which RFC 9457 §3.1.5 says
// instance is. It is the escaped path, which resolves to the same resource.
func TestProblemInstanceIsAURIReference(t *testing.T) {
	app := covet.New()
	app.GET("/files/{name}", func(c *covet.Context) error { return covet.NewError(404, "no such file") })
	srv := covettest.NewServer(t, app)
	for _, tc := range []struct{ path, want string }{
		{"/files/a%20b%3Cc%3E", "/files/a%20b%3Cc%3E"},
		{"/files/%E2%82%AC", "/files/%E2%82%AC"},
		{"/files/a%2Fb", "/files/a%2Fb"},
		{"/nowhere/x%01y", "/nowhere/x%01y"},
		{"/files/plain", "/files/plain"},
	} {
		p := srv.Get(tc.path).Do().ExpectStatus(404).Problem()
		if p.Instance != tc.want {
			t.Errorf("%s: instance %q, want %q", tc.path, p.Instance, tc.want)
		}
		if _, err := url.Parse(p.Instance); err != nil {
			t.Errorf("%s: instance %q is not a URI reference: %v", tc.path, p.Instance, err)
		}
	}
}
