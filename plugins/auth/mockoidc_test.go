package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/oauth2-proxy/mockoidc"
)

// TestLoginWithMockOIDC drives the login flow against an independent
// provider implementation (github.com/oauth2-proxy/mockoidc: its own
// discovery, RS256 keys, PKCE and single-use codes), so the flow is not
// only tested against the plugin's own fake.
func TestLoginWithMockOIDC(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	m.QueueUser(&mockoidc.MockUser{Subject: "mock-42", Email: "jane@example.com", EmailVerified: true, PreferredUsername: "jane"})

	var got auth.Identity
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(),
		auth.WithSessions(auth.NewMemorySessions(), sessionSecret),
		auth.WithLogin(auth.OIDC("mock", m.Issuer(), m.ClientID, m.ClientSecret),
			func(_ context.Context, id auth.Identity) (string, error) { got = id; return "user-" + id.Subject, nil },
			auth.WithLoginSecret(loginSecret)))
	app := covet.New(covet.WithLogger(quietLogger()))
	app.GET("/home", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeSession))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	c := covettest.NewServer(t, app)
	res := c.Get("/auth/mock/login?next=/home").Do().ExpectStatus(302)
	if q := mustURL(t, res.Header.Get("Location")).Query(); q.Get("code_challenge_method") != "S256" {
		t.Fatalf("authorization request %v", q)
	}
	cb := authorize(t, res)
	cookies := c.Cookies("/")
	c.Get(cb).Do().ExpectStatus(303).ExpectHeader("Location", "/home")
	c.Get("/home").Do().ExpectStatus(200).ExpectBody("user-mock-42")
	if got.Subject != "mock-42" || got.Email != "jane@example.com" || !got.EmailVerified || got.Provider != "mock" {
		t.Fatalf("identity %+v", got)
	}

	// Replaying the callback is refused (state used once), and the code
	// itself is refused by mockoidc.
	replay := covettest.NewRemote(t, c.URL())
	for _, ck := range cookies {
		replay.SetCookie(ck)
	}
	replay.Get(cb).Do().ExpectStatus(400)
	code := mustURL(t, cb).Query().Get("code")
	tr, err := http.PostForm(m.TokenEndpoint(), url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {m.ClientID}, "client_secret": {m.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	tr.Body.Close()
	if tr.StatusCode == 200 {
		t.Fatal("mockoidc accepted a used code")
	}
}
