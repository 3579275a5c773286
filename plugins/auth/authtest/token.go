package authtest

import (
	"testing"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
)

// Token mints an access token for subject with scopes, signed by the
// plugin's signing key, failing the test if it cannot.
func Token(t testing.TB, a *auth.Auth, subject string, scopes ...string) string {
	t.Helper()
	var opts []auth.TokenOption
	if len(scopes) > 0 {
		opts = append(opts, auth.WithScopes(scopes...))
	}
	tok, err := a.Issue(subject, opts...)
	if err != nil {
		t.Fatalf("authtest: issue token for %q: %v", subject, err)
	}
	return tok
}

// TestUser is a test user with an access token.
type TestUser struct {
	// ID is the subject.
	ID string
	// Token is the access token.
	Token string
}

// User mints a token for subject with the token options (auth.WithScopes,
// auth.WithRoles, ...), or with scopes given as plain strings.
func User(t testing.TB, a *auth.Auth, subject string, scopes ...string) TestUser {
	t.Helper()
	return TestUser{ID: subject, Token: Token(t, a, subject, scopes...)}
}

// UserWith mints a token for subject with token options.
func UserWith(t testing.TB, a *auth.Auth, subject string, opts ...auth.TokenOption) TestUser {
	t.Helper()
	tok, err := a.Issue(subject, opts...)
	if err != nil {
		t.Fatalf("authtest: issue token for %q: %v", subject, err)
	}
	return TestUser{ID: subject, Token: tok}
}

// Authorization returns the header name and value that authenticate as the
// user, to pass straight to covettest's Request.Header:
//
//	client.Get("/me").Header(alice.Authorization()).Do()
func (u TestUser) Authorization() (string, string) { return "Authorization", "Bearer " + u.Token }

// As sets the user's Authorization header on a covettest request.
//
// covettest has no extension point for request builders yet; with one
// (a Request.With(func(*Request)) hook) this would read
// client.Get("/me").With(alice.As).Do().
func (u TestUser) As(r *covettest.Request) *covettest.Request {
	return r.Header(u.Authorization())
}
