package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authtest"
)

var loginSecret = []byte("login-secret-login-secret-login-")

// loginApp is an app with sessions and a login with provider, whose
// OnLogin records identities; GET /home needs the session.
type loginApp struct {
	client *covettest.Client
	mu     sync.Mutex
	ids    []auth.Identity
}

func newLoginApp(t *testing.T, p auth.Provider, opts ...auth.LoginOption) *loginApp {
	t.Helper()
	la := &loginApp{}
	onLogin := func(ctx context.Context, id auth.Identity) (string, error) {
		la.mu.Lock()
		defer la.mu.Unlock()
		la.ids = append(la.ids, id)
		return "u:" + id.Provider + ":" + id.Subject, nil
	}
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(),
		auth.WithSessions(auth.NewMemorySessions(), sessionSecret),
		auth.WithLogin(p, onLogin, append([]auth.LoginOption{auth.WithLoginSecret(loginSecret), auth.WithJWKSRefetchInterval(0)}, opts...)...))
	app := covet.New(covet.WithLogger(quietLogger()))
	app.GET("/home", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeSession))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	la.client = covettest.NewServer(t, app)
	return la
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}

// authorize follows the app's redirect to the provider and returns the
// provider's redirect back to the app (path and query).
func authorize(t *testing.T, loginRes *covettest.Response) string {
	t.Helper()
	loc := loginRes.Header.Get("Location")
	res, err := noRedirect.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("provider authorize answered %d", res.StatusCode)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func TestLoginFlow(t *testing.T) {
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	c := la.client
	res := c.Get("/auth/fake/login?next=/home%3Ftab%3D2").Do().ExpectStatus(302)
	// PKCE S256, state and nonce are sent.
	q := mustURL(t, res.Header.Get("Location")).Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("authorization request without %s: %v", k, q)
		}
	}
	if q.Get("code_challenge_method") != "S256" {
		t.Errorf("code_challenge_method %q", q.Get("code_challenge_method"))
	}
	cb := authorize(t, res)
	c.Get(cb).Do().ExpectStatus(303).ExpectHeader("Location", "/home?tab=2")
	c.Get("/home").Do().ExpectStatus(200).ExpectBody("u:fake:user-1")
	if len(la.ids) != 1 || la.ids[0].Email != "user1@example.com" || !la.ids[0].EmailVerified {
		t.Fatalf("identities %+v", la.ids)
	}
	// The flow cookie is gone after the callback.
	for _, ck := range c.Cookies("/") {
		if strings.HasPrefix(ck.Name, "login-") {
			t.Errorf("login cookie kept: %v", ck)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// refusedLogin expects the callback to fail with the generic 400.
func refusedLogin(t *testing.T, c *covettest.Client, cb string) {
	t.Helper()
	res := c.Get(cb).Do().ExpectStatus(400)
	if p := res.Problem(); p.Detail != "login failed; please try again" {
		t.Errorf("detail %q", p.Detail)
	}
	c.Get("/home").Do().ExpectStatus(401)
}

func TestAttackOAuthStateMismatch(t *testing.T) {
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	cb := authorize(t, la.client.Get("/auth/fake/login").Do().ExpectStatus(302))
	u := mustURL(t, cb)
	q := u.Query()
	q.Set("state", "attacker-state")
	u.RawQuery = q.Encode()
	refusedLogin(t, la.client, u.RequestURI())
}

// TestAttackLoginCSRF: the attacker's own callback URL (their code and
// state) delivered to a victim whose browser has no flow cookie.
func TestAttackLoginCSRF(t *testing.T) {
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	cb := authorize(t, la.client.Get("/auth/fake/login").Do().ExpectStatus(302))
	victim := covettest.NewRemote(t, la.client.URL())
	refusedLogin(t, victim, cb)
}

// TestAttackMissingPKCEVerifier: without the flow cookie there is no
// verifier, and a provider that enforces PKCE refuses a code exchanged
// without it (the fake provider does; so must the app's).
func TestAttackMissingPKCEVerifier(t *testing.T) {
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	res := la.client.Get("/auth/fake/login").Do().ExpectStatus(302)
	cb := authorize(t, res)
	code := mustURL(t, cb).Query().Get("code")
	redirect := mustURL(t, res.Header.Get("Location")).Query().Get("redirect_uri")
	// The code exchanged without a verifier is refused by the provider.
	tr, err := http.PostForm(p.URL()+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "client_id": {p.ClientID}, "client_secret": {p.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	tr.Body.Close()
	if tr.StatusCode != 400 {
		t.Fatalf("provider accepted a code without its PKCE verifier: %d", tr.StatusCode)
	}
	// And the app refuses a callback whose flow cookie (holding the verifier) is missing.
	for _, ck := range la.client.Cookies("/") {
		if strings.HasPrefix(ck.Name, "login-") {
			la.client.SetCookie(&http.Cookie{Name: ck.Name, Value: "", MaxAge: -1})
		}
	}
	refusedLogin(t, la.client, cb)
}

// TestAttackCodeReplay: a callback replayed (same code, same cookie) is
// refused by the app (state used once) and the code by the provider.
func TestAttackCodeReplay(t *testing.T) {
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	c := la.client
	cb := authorize(t, c.Get("/auth/fake/login").Do().ExpectStatus(302))
	cookies := c.Cookies("/")
	c.Get(cb).Do().ExpectStatus(303)
	replay := covettest.NewRemote(t, c.URL())
	for _, ck := range cookies {
		replay.SetCookie(ck)
	}
	refusedLogin(t, replay, cb)
	// A stolen code injected into the attacker's own fresh flow: the
	// attacker's PKCE verifier does not match the code's challenge, and
	// the code is used anyway.
	att := covettest.NewRemote(t, c.URL())
	res := att.Get("/auth/fake/login").Do().ExpectStatus(302)
	state := mustURL(t, res.Header.Get("Location")).Query().Get("state")
	stolen := mustURL(t, cb).Query().Get("code")
	refusedLogin(t, att, "/auth/fake/callback?code="+url.QueryEscape(stolen)+"&state="+url.QueryEscape(state))
}

func TestAttackRedirectURIMismatch(t *testing.T) {
	p := authtest.NewProvider(t)
	p.RedirectURIs = []string{"https://app.example.com/auth/fake/callback"}
	// The app's actual callback is on the test server, not registered.
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	res := la.client.Get("/auth/fake/login").Do().ExpectStatus(302)
	pr, err := noRedirect.Get(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	pr.Body.Close()
	if pr.StatusCode != 400 {
		t.Fatalf("provider answered %d for an unregistered redirect_uri", pr.StatusCode)
	}
	// A code issued for one redirect_uri and exchanged for another is refused:
	// the app always exchanges with the redirect_uri it authorized with, so
	// a code obtained through another redirect_uri fails at the provider.
	p2 := authtest.NewProvider(t)
	la2 := newLoginApp(t, auth.OIDC("fake", p2.URL(), p2.ClientID, p2.ClientSecret))
	res = la2.client.Get("/auth/fake/login").Do().ExpectStatus(302)
	loc := mustURL(t, res.Header.Get("Location"))
	q := loc.Query()
	q.Set("redirect_uri", la2.client.URL()+"/elsewhere/callback")
	loc.RawQuery = q.Encode()
	pr, err = noRedirect.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	pr.Body.Close()
	back := mustURL(t, pr.Header.Get("Location"))
	refusedLogin(t, la2.client, "/auth/fake/callback?"+back.RawQuery)
}

func TestAttackNonceReplay(t *testing.T) {
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	// An ID token minted for an earlier flow (its nonce) replayed into a new one.
	p.Set(func(p *authtest.Provider) { p.Nonce = "nonce-of-an-earlier-login" })
	cb := authorize(t, la.client.Get("/auth/fake/login").Do().ExpectStatus(302))
	refusedLogin(t, la.client, cb)
}

func TestAttackIDTokenForAnotherAudience(t *testing.T) {
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	p.Set(func(p *authtest.Provider) { p.Audience = "another-client" })
	cb := authorize(t, la.client.Get("/auth/fake/login").Do().ExpectStatus(302))
	refusedLogin(t, la.client, cb)
}

func TestAttackIDTokenWrongIssuerOrExpired(t *testing.T) {
	for name, f := range map[string]func(p *authtest.Provider){
		"issuer":  func(p *authtest.Provider) { p.Issuer = "https://evil.example" },
		"expired": func(p *authtest.Provider) { p.TTL = -5 * time.Minute },
		"kid":     func(p *authtest.Provider) { p.KeyID = "../../unknown" },
	} {
		t.Run(name, func(t *testing.T) {
			p := authtest.NewProvider(t)
			la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
			p.Set(f)
			cb := authorize(t, la.client.Get("/auth/fake/login").Do().ExpectStatus(302))
			refusedLogin(t, la.client, cb)
		})
	}
}

func TestLoginProviderKeyRotation(t *testing.T) {
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	login := func() {
		c := covettest.NewRemote(t, la.client.URL())
		cb := authorize(t, c.Get("/auth/fake/login").Do().ExpectStatus(302))
		c.Get(cb).Do().ExpectStatus(303)
	}
	login()
	login()
	if n := p.JWKSFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times for two logins, want 1 (cached)", n)
	}
	p.RotateKey("fake-2")
	login() // unknown kid: refetched
	if n := p.JWKSFetches(); n != 2 {
		t.Fatalf("JWKS fetched %d times after rotation, want 2", n)
	}
}

func TestJWKSRefetchRateLimited(t *testing.T) {
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret), auth.WithJWKSRefetchInterval(time.Hour))
	p.Set(func(p *authtest.Provider) { p.KeyID = "made-up" })
	for i := 0; i < 5; i++ {
		c := covettest.NewRemote(t, la.client.URL())
		cb := authorize(t, c.Get("/auth/fake/login").Do().ExpectStatus(302))
		c.Get(cb).Do().ExpectStatus(400)
	}
	if n := p.JWKSFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times for 5 unknown kids within the interval, want 1", n)
	}
}

func TestAttackOpenRedirectAfterLogin(t *testing.T) {
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "/ok\r\nLocation: https://evil.example", "http:/evil.example"} {
		if got := auth.SafeRedirect(next, "/"); got != "/" {
			t.Errorf("SafeRedirect(%q) = %q", next, got)
		}
	}
	if got := auth.SafeRedirect("/tasks?id=1#top", "/"); got != "/tasks?id=1#top" {
		t.Errorf("own path refused: %q", got)
	}
	// Through the real flow.
	p := authtest.NewProvider(t)
	la := newLoginApp(t, auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret))
	cb := authorize(t, la.client.Get("/auth/fake/login?next="+url.QueryEscape("//evil.example/steal")).Do().ExpectStatus(302))
	la.client.Get(cb).Do().ExpectStatus(303).ExpectHeader("Location", "/")
}

func TestLoginOnLoginRefuses(t *testing.T) {
	p := authtest.NewProvider(t)
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(), auth.WithCookie("at"),
		auth.WithLogin(auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret),
			func(context.Context, auth.Identity) (string, error) { return "", errors.New("banned") },
			auth.WithLoginSecret(loginSecret)))
	app := covet.New(covet.WithLogger(quietLogger()))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	c := covettest.NewServer(t, app)
	cb := authorize(t, c.Get("/auth/fake/login").Do().ExpectStatus(302))
	c.Get(cb).Do().ExpectStatus(400)
}

func TestLoginConfigErrors(t *testing.T) {
	p := auth.OIDC("fake", "https://issuer.example", "id", "secret")
	ok := func(context.Context, auth.Identity) (string, error) { return "x", nil }
	for name, opts := range map[string][]auth.Option{
		"no secret":            {auth.WithInsecureCookie(), auth.WithCookie("at"), auth.WithLogin(p, ok)},
		"no session or cookie": {auth.WithLogin(p, ok, auth.WithLoginSecret(loginSecret))},
		"no onLogin":           {auth.WithCookie("at"), auth.WithLogin(p, nil, auth.WithLoginSecret(loginSecret))},
	} {
		a := auth.New(append([]auth.Option{auth.WithKeys(auth.HMAC("k1", "HS256", secret))}, opts...)...)
		if err := covet.New().Install(a); err == nil {
			t.Errorf("%s: installed", name)
		}
	}
}

// TestLoginFollowsClock: the login cookie's ten minutes are counted on the
// plugin's clock (WithClock), like every other lifetime of the plugin: a
// callback eleven minutes after the start, by that clock, is refused.
func TestLoginFollowsClock(t *testing.T) {
	p := authtest.NewProvider(t)
	p.Set(func(p *authtest.Provider) { p.TTL = time.Hour }) // the ID token outlives the clock's jumps
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(), auth.WithClock(clock),
		auth.WithSessions(auth.NewMemorySessions(), sessionSecret),
		auth.WithLogin(auth.OIDC("fake", p.URL(), p.ClientID, p.ClientSecret), func(context.Context, auth.Identity) (string, error) { return "u", nil },
			auth.WithLoginSecret(loginSecret)))
	app := covet.New(covet.WithLogger(quietLogger()))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	c := covettest.NewServer(t, app)
	cb := authorize(t, c.Get("/auth/fake/login").Do().ExpectStatus(302))
	offset.Store(int64(11 * time.Minute))
	c.Get(cb).Do().ExpectStatus(400)
	// Within the ten minutes by the clock: accepted.
	offset.Store(0)
	cb = authorize(t, c.Get("/auth/fake/login").Do().ExpectStatus(302))
	offset.Store(int64(9 * time.Minute))
	c.Get(cb).Do().ExpectStatus(303)
}
