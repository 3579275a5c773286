package auth_test

import (
	"strconv"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
)

// TestDocumentsGuardResponses: a guarded route documents 401 with
// WWW-Authenticate, and 403 when it requires scopes or roles.
func TestDocumentsGuardResponses(t *testing.T) {
	h := func(c *covet.Context) error { return nil }
	app := covet.New()
	app.GET("/me", h).With(auth.Required())
	app.GET("/admin", h).With(auth.Scopes("admin"))
	app.GET("/public", h)
	if err := app.Install(auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)))); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ri := range app.Routes() {
		var s []string
		for _, rd := range ri.Responses {
			s = append(s, strings.TrimSpace(strings.Join([]string{strconv.Itoa(rd.Status), headerNames(rd.Headers)}, " ")))
		}
		got[ri.Pattern] = strings.Join(s, ",")
	}
	want := map[string]string{"/me": "401 WWW-Authenticate", "/admin": "401 WWW-Authenticate,403", "/public": ""}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s documents %q, want %q", p, got[p], w)
		}
	}
}

func headerNames(hs []covet.HeaderDoc) string {
	var s []string
	for _, h := range hs {
		s = append(s, h.Name)
	}
	return strings.Join(s, " ")
}
