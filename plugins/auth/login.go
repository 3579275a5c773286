package auth

import (
	"context"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"golang.org/x/oauth2"
)

// Identity is who a provider says logged in.
type Identity struct {
	// Provider is the provider's name ("google", "github", ...).
	Provider string
	// Subject is the provider's stable ID of the account (sub, or GitHub's
	// numeric user ID). Link accounts by Provider and Subject, never by email.
	Subject string
	// Email and EmailVerified as the provider reports them.
	Email         string
	EmailVerified bool
	// Name is the display name.
	Name string
	// Claims are the ID token's claims (or the user API's fields).
	Claims map[string]any
}

// OnLoginFunc links a provider identity to an app user (creating one if the
// app wants) and returns the app's user ID. An error refuses the login.
type OnLoginFunc func(ctx context.Context, id Identity) (userID string, err error)

// Provider describes an OAuth 2.0 / OpenID Connect provider. Build one with
// Google, GitHub, Microsoft or OIDC.
type Provider struct {
	// Name is used in the login paths (/auth/{name}/login) and Identity.Provider.
	Name string
	// ClientID and ClientSecret are the app's credentials at the provider.
	ClientID, ClientSecret string
	// Scopes asked for (default: openid email profile for OIDC providers).
	Scopes []string
	// Issuer is the OIDC issuer; empty for plain OAuth 2.0 providers (GitHub).
	Issuer string
	// Discover fetches the endpoints from Issuer's discovery document.
	Discover bool
	// AuthURL, TokenURL and JWKSURL are the endpoints (filled by discovery).
	AuthURL, TokenURL, JWKSURL string
	// UserInfo fetches the identity for plain OAuth 2.0 providers.
	UserInfo func(ctx context.Context, client *http.Client, token *oauth2.Token) (Identity, error)
	// CheckIssuer replaces the iss check (Microsoft's multi-tenant issuers).
	CheckIssuer func(iss string, claims map[string]any) bool
	// AuthParams are extra authorization request parameters (prompt, hd).
	AuthParams map[string]string
}

// OIDC returns a provider found by OpenID Connect discovery at issuer.
func OIDC(name, issuer, clientID, clientSecret string) Provider {
	return Provider{Name: name, Issuer: issuer, Discover: true, ClientID: clientID, ClientSecret: clientSecret}
}

// Google returns Google's OpenID Connect provider.
func Google(clientID, clientSecret string) Provider {
	return Provider{
		Name: "google", Issuer: "https://accounts.google.com", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:  "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL: "https://oauth2.googleapis.com/token",
		JWKSURL:  "https://www.googleapis.com/oauth2/v3/certs",
	}
}

// Microsoft returns Microsoft Entra ID's OpenID Connect provider for a
// tenant: a tenant ID or domain, or "common", "organizations" or
// "consumers" for multi-tenant apps. For the multi-tenant values the ID
// token's issuer must be the one of the tenant it names (tid), as Microsoft
// documents; for a single tenant it must be that tenant's.
func Microsoft(tenant, clientID, clientSecret string) Provider {
	base := "https://login.microsoftonline.com/" + url.PathEscape(tenant)
	p := Provider{
		Name: "microsoft", Issuer: base + "/v2.0", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:  base + "/oauth2/v2.0/authorize",
		TokenURL: base + "/oauth2/v2.0/token",
		JWKSURL:  base + "/discovery/v2.0/keys",
	}
	switch tenant {
	case "common", "organizations", "consumers":
		p.CheckIssuer = func(iss string, claims map[string]any) bool {
			tid, _ := claims["tid"].(string)
			return tid != "" && iss == "https://login.microsoftonline.com/"+tid+"/v2.0"
		}
	}
	return p
}

// GitHub returns GitHub's OAuth 2.0 provider; the identity comes from its
// user API (the verified primary email from /user/emails).
func GitHub(clientID, clientSecret string) Provider {
	return Provider{
		Name: "github", ClientID: clientID, ClientSecret: clientSecret, Scopes: []string{"read:user", "user:email"},
		AuthURL:  "https://github.com/login/oauth/authorize",
		TokenURL: "https://github.com/login/oauth/access_token",
		UserInfo: githubUser("https://api.github.com"),
	}
}

func githubUser(api string) func(ctx context.Context, client *http.Client, tok *oauth2.Token) (Identity, error) {
	return func(ctx context.Context, client *http.Client, tok *oauth2.Token) (Identity, error) {
		get := func(path string, v any) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+path, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			req.Header.Set("Accept", "application/vnd.github+json")
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("auth: github %s: status %d", path, res.StatusCode)
			}
			return json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v)
		}
		var u struct {
			ID    int64  `json:"id"`
			Login string `json:"login"`
			Name  string `json:"name"`
		}
		if err := get("/user", &u); err != nil {
			return Identity{}, err
		}
		if u.ID == 0 {
			return Identity{}, errors.New("auth: github: user without id")
		}
		id := Identity{Provider: "github", Subject: strconv.FormatInt(u.ID, 10), Name: u.Name, Claims: map[string]any{"login": u.Login}}
		var emails []struct {
			Email    string `json:"email"`
			Primary  bool   `json:"primary"`
			Verified bool   `json:"verified"`
		}
		if err := get("/user/emails", &emails); err == nil {
			for _, e := range emails {
				if e.Primary {
					id.Email, id.EmailVerified = e.Email, e.Verified
				}
			}
		}
		return id, nil
	}
}

// LoginOption configures a login.
type LoginOption func(*loginConfig)

type loginConfig struct {
	secret    []byte
	previous  [][]byte
	base      string
	prefix    string
	client    *http.Client
	afterPath string
	ttl       time.Duration
	minFetch  time.Duration
	once      OnceStore
}

// WithLoginSecret sets the key (at least 32 bytes) that encrypts and
// authenticates the short-lived cookie holding state, nonce and PKCE
// verifier. Required; every instance of the app needs the same one, so a
// login started on one instance completes on any other.
func WithLoginSecret(secret []byte) LoginOption { return func(c *loginConfig) { c.secret = secret } }

// WithPreviousLoginSecrets lets login cookies signed with earlier secrets
// verify, so rotating WithLoginSecret does not fail the logins under way
// (their cookie lives ten minutes): the WithLoginSecret secret signs, these
// only verify.
func WithPreviousLoginSecrets(secrets ...[]byte) LoginOption {
	return func(c *loginConfig) { c.previous = append(c.previous, secrets...) }
}

// WithRedirectBase sets the app's public origin ("https://app.example.com"):
// the callback URL registered at the provider is
// <base><prefix>/<name>/callback. Without it the origin is taken from the
// request (development only: behind a proxy set it).
//
// Workaround until core has an absolute app.URL aware of trusted proxies.
func WithRedirectBase(base string) LoginOption {
	return func(c *loginConfig) { c.base = trimSlash(base) }
}

// WithLoginPrefix sets the path prefix of the login routes (default "/auth").
func WithLoginPrefix(p string) LoginOption { return func(c *loginConfig) { c.prefix = trimSlash(p) } }

// WithHTTPClient sets the client that talks to the provider (default: one
// with a 10 s timeout).
func WithHTTPClient(hc *http.Client) LoginOption { return func(c *loginConfig) { c.client = hc } }

// WithAfterLogin sets where users land after login when they asked for no
// page (default "/").
func WithAfterLogin(path string) LoginOption { return func(c *loginConfig) { c.afterPath = path } }

// WithJWKSRefetchInterval sets the least time between two fetches of the
// provider's keys for an unknown kid (default 1 minute).
func WithJWKSRefetchInterval(d time.Duration) LoginOption {
	return func(c *loginConfig) { c.minFetch = d }
}

// Login is one provider's login flow. Its routes are GET
// <prefix>/<name>/login?next=/path and GET <prefix>/<name>/callback.
type Login struct {
	a       *Auth
	p       Provider
	onLogin OnLoginFunc
	cfg     loginConfig

	mu    sync.Mutex
	ready bool
	keys  *remoteKeys
	aeads []cipher.AEAD // the cookie keys: current secret first, then previous ones
	once  OnceStore     // where states of callbacks are recorded
}

// WithLogin adds a login with a provider: authorization code flow with
// PKCE (S256), state, nonce and verifier in an encrypted, authenticated
// cookie bound to the browser that lives ten minutes and is used once
// (nothing is kept on the instance that started the login, so the
// provider's callback may reach any instance; see WithLoginStore for
// one-time use across instances), the ID token verified against the provider's keys
// (iss, aud, exp, iat, nonce), then onLogin, then a session (WithSessions)
// or an access-token cookie (WithCookie), then a redirect to the page the
// user asked for, if it is a path of this app.
func WithLogin(p Provider, onLogin OnLoginFunc, opts ...LoginOption) Option {
	return func(c *config) {
		lc := loginConfig{prefix: "/auth", afterPath: "/", ttl: 10 * time.Minute, minFetch: time.Minute}
		for _, o := range opts {
			o(&lc)
		}
		c.logins = append(c.logins, &Login{p: p, onLogin: onLogin, cfg: lc})
	}
}

func (l *Login) install(app *covet.App) error {
	if l.onLogin == nil {
		return fmt.Errorf("auth: login %q: no OnLogin function", l.p.Name)
	}
	if len(l.cfg.secret) < MinHMACSecret {
		return fmt.Errorf("auth: login %q: WithLoginSecret of at least %d bytes is required", l.p.Name, MinHMACSecret)
	}
	for i, p := range l.cfg.previous {
		if len(p) < MinHMACSecret {
			return fmt.Errorf("auth: login %q: WithPreviousLoginSecrets: secret %d of %d bytes; at least %d are required", l.p.Name, i, len(p), MinHMACSecret)
		}
	}
	if l.p.Name == "" || strings.ContainsAny(l.p.Name, "/?#") {
		return fmt.Errorf("auth: login: bad provider name %q", l.p.Name)
	}
	if l.p.Issuer == "" && l.p.UserInfo == nil {
		return fmt.Errorf("auth: login %q: a provider without an OIDC issuer needs UserInfo", l.p.Name)
	}
	if !l.p.Discover && (l.p.AuthURL == "" || l.p.TokenURL == "" || (l.p.Issuer != "" && l.p.JWKSURL == "")) {
		return fmt.Errorf("auth: login %q: endpoints missing", l.p.Name)
	}
	if l.a.sessions == nil && l.a.cfg.cookieName == "" {
		return fmt.Errorf("auth: login %q: configure WithSessions or WithCookie to keep users logged in", l.p.Name)
	}
	if l.cfg.client == nil {
		l.cfg.client = &http.Client{Timeout: 10 * time.Second}
	}
	if err := l.initCrypto(); err != nil {
		return fmt.Errorf("auth: login %q: %w", l.p.Name, err)
	}
	l.once = l.pickOnceStore()
	if l.cfg.base == "" {
		app.Logger().Warn("auth: login without WithRedirectBase: the callback URL is built from the request's Host (development only)", "provider", l.p.Name)
	}
	base := l.cfg.prefix + "/" + l.p.Name
	app.GET(base+"/login", l.start).Summary("Log in with " + l.p.Name).Tags("auth")
	app.GET(base+"/callback", l.callback).Summary("OAuth 2.0 callback of " + l.p.Name).Tags("auth").Hidden()
	if l.p.Issuer != "" {
		app.SecurityScheme("oidc-"+l.p.Name, covet.SecurityScheme{Type: "openIdConnect", OpenIDConnectURL: trimSlash(l.p.Issuer) + "/.well-known/openid-configuration", Description: "Log in with " + l.p.Name + " at " + base + "/login"})
	}
	return nil
}

// prepare runs discovery once (on first use, so Install needs no network).
func (l *Login) prepare(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ready {
		return nil
	}
	if l.p.Discover {
		d, err := discover(ctx, l.cfg.client, l.p.Issuer)
		if err != nil {
			return err
		}
		l.p.AuthURL, l.p.TokenURL, l.p.JWKSURL = d.AuthorizationEndpoint, d.TokenEndpoint, d.JWKSURI
	}
	if l.p.Issuer != "" {
		l.keys = &remoteKeys{url: l.p.JWKSURL, client: l.cfg.client, ttl: time.Hour, minInterval: l.cfg.minFetch, now: l.a.now}
		if len(l.p.Scopes) == 0 {
			l.p.Scopes = []string{"openid", "email", "profile"}
		}
	}
	l.ready = true
	return nil
}

func (l *Login) oauth(c *covet.Context) *oauth2.Config {
	base := l.cfg.base
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return &oauth2.Config{
		ClientID: l.p.ClientID, ClientSecret: l.p.ClientSecret, Scopes: l.p.Scopes,
		Endpoint:    oauth2.Endpoint{AuthURL: l.p.AuthURL, TokenURL: l.p.TokenURL},
		RedirectURL: base + l.cfg.prefix + "/" + l.p.Name + "/callback",
	}
}

// flow is what the login cookie carries between start and callback.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"r"`
	Expires  int64  `json:"e"`
}

func (l *Login) cookieName() string {
	if l.a.cfg.cookieSecure {
		return "__Host-login-" + l.p.Name
	}
	return "login-" + l.p.Name
}

// SafeRedirect returns next if it is a path of this app ("/tasks?x=1"),
// else fallback: no scheme, no host, no "//" or "/\" (which browsers read
// as another host), no control characters.
func SafeRedirect(next, fallback string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return fallback
	}
	for i := 0; i < len(next); i++ {
		if next[i] < 0x20 || next[i] == 0x7f || next[i] == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return next
}

func (l *Login) start(c *covet.Context) error {
	if err := l.prepare(c.Context()); err != nil {
		c.Logger().ErrorContext(c.Context(), "auth: login provider unreachable", "provider", l.p.Name, "error", err.Error())
		return covet.NewError(http.StatusBadGateway, "the login provider is unreachable")
	}
	f := flow{
		State: newID(), Nonce: newID(), Verifier: oauth2.GenerateVerifier(),
		Next:    SafeRedirect(c.Query("next"), l.cfg.afterPath),
		Expires: l.a.now().Add(l.cfg.ttl).Unix(),
	}
	sealed, err := l.seal(f)
	if err != nil {
		return err
	}
	c.SetHTTPCookie(&http.Cookie{Name: l.cookieName(), Value: sealed, Path: "/", HttpOnly: true, Secure: l.a.cfg.cookieSecure, SameSite: http.SameSiteLaxMode, MaxAge: int(l.cfg.ttl.Seconds())}) // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier)}
	if l.p.Issuer != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", f.Nonce))
	}
	for k, v := range l.p.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	c.SetHeader("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, l.oauth(c).AuthCodeURL(f.State, opts...))
}

// errLogin is the cause of a refused callback.
var errLogin = errors.New("auth: login refused")

func (l *Login) fail(c *covet.Context, why error) error {
	l.a.stats.loginsFailed.Add(1)
	logRefusal(c, "auth: login refused", why, slogProvider(l.p.Name))
	return covet.NewError(http.StatusBadRequest, "login failed; please try again").WithType(ProblemUnauthorized).WithCause(fmt.Errorf("%w: %w", errLogin, why))
}

func (l *Login) callback(c *covet.Context) error {
	c.SetHeader("Cache-Control", "no-store")
	ck, err := c.Request().Cookie(l.cookieName())
	// The cookie is single-use whatever happens next.
	c.SetHTTPCookie(&http.Cookie{Name: l.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: l.a.cfg.cookieSecure, SameSite: http.SameSiteLaxMode, MaxAge: -1}) // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
	if err != nil {
		return l.fail(c, errors.New("no login cookie (no PKCE verifier, state or nonce)"))
	}
	f, err := l.open(ck.Value)
	if err != nil {
		return l.fail(c, err)
	}
	q := c.Request().URL.Query()
	if e := q.Get("error"); e != "" {
		return l.fail(c, fmt.Errorf("provider error %q", clip(e)))
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return l.fail(c, errors.New("state mismatch"))
	}
	fresh, err := l.once.UseOnce(c.Context(), l.onceKey(f.State), time.Unix(f.Expires, 0))
	if err != nil {
		l.a.stats.loginsFailed.Add(1)
		c.Logger().ErrorContext(c.Context(), "auth: login refused: the login store cannot record the state", "provider", l.p.Name, "error", err.Error())
		return covet.NewError(http.StatusServiceUnavailable, "login is unavailable; please try again").WithCause(err)
	}
	if !fresh {
		return l.fail(c, errors.New("state already used (replayed callback)"))
	}
	code := q.Get("code")
	if code == "" {
		return l.fail(c, errors.New("no code"))
	}
	if err := l.prepare(c.Context()); err != nil {
		return l.fail(c, err)
	}
	oc := l.oauth(c)
	ctx := context.WithValue(c.Context(), oauth2.HTTPClient, l.cfg.client)
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return l.fail(c, fmt.Errorf("code exchange: %w", err))
	}
	var id Identity
	if l.p.Issuer != "" {
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return l.fail(c, errors.New("no ID token in the token response"))
		}
		id, err = l.verifyIDToken(c.Context(), raw, f.Nonce)
	} else {
		id, err = l.p.UserInfo(ctx, l.cfg.client, tok)
	}
	if err != nil {
		return l.fail(c, err)
	}
	id.Provider = l.p.Name
	userID, err := l.onLogin(c.Context(), id)
	if err != nil {
		return l.fail(c, fmt.Errorf("OnLogin: %w", err))
	}
	if userID == "" {
		return l.fail(c, errors.New("OnLogin returned no user"))
	}
	if l.a.sessions != nil {
		if _, err := l.a.StartSession(c, userID); err != nil {
			return err
		}
	} else {
		at, err := l.a.Issue(userID)
		if err != nil {
			return err
		}
		l.a.SetTokenCookie(c, at)
	}
	l.a.stats.loginsOK.Add(1)
	return c.Redirect(http.StatusSeeOther, SafeRedirect(f.Next, l.cfg.afterPath))
}

func (l *Login) verifyIDToken(ctx context.Context, raw, nonce string) (Identity, error) {
	a := l.a
	if len(raw) > a.cfg.maxTokenSize || a.ver.precheck(raw) != nil {
		return Identity{}, fmt.Errorf("ID token: %w", ErrTokenMalformed)
	}
	opts := []jwt.ParseOption{
		jwt.WithKeyProvider(&remoteProvider{keys: l.keys}),
		jwt.WithContext(ctx),
		jwt.WithAcceptableSkew(a.cfg.leeway),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.IssuedAtKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
		jwt.WithAudience(l.p.ClientID),
		jwt.WithClaimValue("nonce", nonce),
	}
	if l.p.CheckIssuer == nil {
		opts = append(opts, jwt.WithIssuer(l.p.Issuer))
	}
	if a.cfg.now != nil {
		opts = append(opts, jwt.WithClock(jwt.ClockFunc(a.cfg.now)))
	}
	t, err := jwt.ParseString(raw, opts...)
	if err != nil {
		return Identity{}, fmt.Errorf("ID token: %w", err)
	}
	claims, err := t.AsMap(ctx)
	if err != nil {
		return Identity{}, err
	}
	if l.p.CheckIssuer != nil && !l.p.CheckIssuer(t.Issuer(), claims) {
		return Identity{}, fmt.Errorf("ID token: issuer %q refused", t.Issuer())
	}
	// OIDC Core §3.1.3.7: with several audiences, azp must be the client.
	if len(t.Audience()) > 1 {
		if azp, _ := claims["azp"].(string); azp != l.p.ClientID {
			return Identity{}, errors.New("ID token: several audiences and azp is not this client")
		}
	}
	id := Identity{Subject: t.Subject(), Claims: claims}
	id.Email, _ = claims["email"].(string)
	id.Name, _ = claims["name"].(string)
	switch v := claims["email_verified"].(type) {
	case bool:
		id.EmailVerified = v
	case string:
		id.EmailVerified = v == "true"
	}
	return id, nil
}
