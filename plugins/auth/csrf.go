package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// The names the CSRF token travels under.
const (
	CSRFHeader    = "X-CSRF-Token"
	CSRFFormField = "csrf_token"
)

// ErrCSRF is the cause of a 403 for a cross-site or tokenless unsafe request.
var ErrCSRF = errors.New("auth: cross-site request refused")

type csrfConfig struct {
	secret   []byte
	previous [][]byte
	cookie   string
	origins  []string
}

// CSRFOption configures the CSRF token.
type CSRFOption func(*csrfConfig)

// WithTrustedOrigins lets unsafe requests from these origins
// ("https://admin.example.com") through the cross-origin check.
func WithTrustedOrigins(origins ...string) CSRFOption {
	return func(c *csrfConfig) { c.origins = append(c.origins, origins...) }
}

// WithPreviousCSRFSecrets lets tokens made with earlier secrets verify, so
// a deployment can rotate the WithCSRF secret without refusing the forms
// open in browsers: the WithCSRF secret makes every new token, these only
// verify. Drop them once pages rendered before the rotation are gone (a
// day is plenty).
func WithPreviousCSRFSecrets(secrets ...[]byte) CSRFOption {
	return func(c *csrfConfig) { c.previous = append(c.previous, secrets...) }
}

// WithCSRFCookie sets the token cookie's name (default "__Host-csrf", or
// "csrf" with WithInsecureCookie).
func WithCSRFCookie(name string) CSRFOption { return func(c *csrfConfig) { c.cookie = name } }

// WithCSRF adds a token to the cross-origin check, for forms and for
// browsers that send neither Sec-Fetch-Site nor Origin. Without it,
// unsafe requests authenticated by a cookie (session or access-token
// cookie) pass Go's http.CrossOriginProtection (Fetch Metadata, then
// Origin against Host) only. With it they must also carry the token
// (CSRFToken) in the X-CSRF-Token header or the csrf_token form field: a
// signed double-submit token, an HMAC with secret (at least 32 bytes) of a
// random cookie. Requests authenticated by a bearer
// header, an API key or Basic are exempt: a browser never adds those on
// its own.
func WithCSRF(secret []byte, opts ...CSRFOption) Option {
	return func(c *config) {
		cc := &csrfConfig{secret: secret}
		for _, o := range opts {
			o(cc)
		}
		c.csrf = cc
	}
}

type csrfGuard struct {
	a   *Auth
	cop *http.CrossOriginProtection
	// secrets[0] makes tokens; all of them verify (WithPreviousCSRFSecrets).
	// Nil without a WithCSRF secret.
	secrets [][]byte
	cookie  string
}

func newCSRF(a *Auth, cfg *csrfConfig) (*csrfGuard, error) {
	g := &csrfGuard{a: a, cop: http.NewCrossOriginProtection(), cookie: cfg.cookie}
	if cfg.secret != nil && len(cfg.secret) < MinHMACSecret {
		return nil, fmt.Errorf("auth: WithCSRF: secret of %d bytes; at least %d are required", len(cfg.secret), MinHMACSecret)
	}
	if cfg.secret != nil {
		g.secrets = [][]byte{cfg.secret}
		for i, p := range cfg.previous {
			if len(p) < MinHMACSecret {
				return nil, fmt.Errorf("auth: WithPreviousCSRFSecrets: secret %d of %d bytes; at least %d are required", i, len(p), MinHMACSecret)
			}
			g.secrets = append(g.secrets, p)
		}
	}
	for _, o := range cfg.origins {
		if err := g.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("auth: WithTrustedOrigins: %w", err)
		}
	}
	if g.cookie == "" {
		g.cookie = "__Host-csrf"
		if !a.cfg.cookieSecure {
			g.cookie = "csrf"
		}
	}
	return g, nil
}

// defaultCOP is the cross-origin check of a plugin without WithCSRF.
var defaultCOP = http.NewCrossOriginProtection()

// checkCSRF applies the CSRF checks to requests a browser authenticates on
// its own (cookies).
func (a *Auth) checkCSRF(c *covet.Context, u *User) error {
	if u.Method != MethodCookie && u.Method != MethodSession {
		return nil
	}
	return a.csrfCheck(c)
}

func (a *Auth) csrfCheck(c *covet.Context) error {
	r := c.Request()
	if !isUnsafe(r.Method) {
		return nil
	}
	cop := defaultCOP
	if a.csrf != nil {
		cop = a.csrf.cop
	}
	if err := cop.Check(r); err != nil {
		return csrfRefused(c, err)
	}
	if a.csrf == nil || a.csrf.secrets == nil {
		return nil
	}
	ck, err := r.Cookie(a.csrf.cookie)
	if err != nil || ck.Value == "" {
		return csrfRefused(c, errors.New("no CSRF cookie"))
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		// Only a form body is parsed, and it is bounded by core's body
		// limit middleware; the handler still sees it (PostForm).
		got = r.PostFormValue(CSRFFormField)
	}
	if got == "" {
		return csrfRefused(c, errors.New("CSRF token missing"))
	}
	if !a.csrf.verify(ck.Value, got) {
		// Forged, or (far more often) a page rendered before the browser
		// signed in or out: the token cookie changed since (RotateCSRF).
		logRefusal(c, "auth: cross-site request refused", errors.New("CSRF token wrong or out of date"))
		return covet.NewError(http.StatusForbidden, csrfStaleDetail).WithType(ProblemCSRF).
			WithCause(fmt.Errorf("%w: CSRF token wrong or out of date", ErrCSRF))
	}
	return nil
}

// csrfStaleDetail is the 403's detail for a token that does not match the
// browser's token cookie: what a user who signed in or out in another tab
// sees on submitting a form rendered before.
const csrfStaleDetail = "the form is out of date (you signed in or out since the page was loaded); reload the page and try again"

func csrfRefused(c *covet.Context, why error) error {
	logRefusal(c, "auth: cross-site request refused", why)
	return covet.NewError(http.StatusForbidden, "cross-site request refused").WithType(ProblemCSRF).WithCause(fmt.Errorf("%w: %w", ErrCSRF, why))
}

// csrfTokenLen is the length of the unmasked token (an HMAC-SHA256).
const csrfTokenLen = sha256.Size

// token is the HMAC, with the current secret, of the cookie's random
// value. The cookie is replaced at sign-in and sign-out (RotateCSRF), so a
// token obtained before either (by someone at the same browser, or planted
// with the cookie) is worthless after it, as in Django and Rails; the
// cookie is __Host- prefixed (no subdomain can plant one) and a planted
// cookie without the server's HMAC is worthless. It is never sent as it
// is: see mask.
func (g *csrfGuard) token(cookieValue string) []byte { return csrfMAC(g.secrets[0], cookieValue) }

func csrfMAC(secret []byte, cookieValue string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("csrf|" + cookieValue))
	return m.Sum(nil)
}

// mask returns the token as it is rendered: base64url(pad || token XOR
// pad) with a fresh random pad, so no two responses carry the same
// string and a compressed response (BREACH) cannot leak it byte by byte,
// as Django and gorilla/csrf do.
func (g *csrfGuard) mask(cookieValue string) string {
	tok := g.token(cookieValue)
	b := make([]byte, 2*csrfTokenLen)
	_, _ = rand.Read(b[:csrfTokenLen])
	for i := range tok {
		b[csrfTokenLen+i] = tok[i] ^ b[i]
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// verify reports whether got is a masked token for the cookie value, in
// constant time once its length is right. An unmasked token (as versions
// before masking rendered) is refused.
func (g *csrfGuard) verify(cookieValue, got string) bool {
	if len(got) != base64.RawURLEncoding.EncodedLen(2*csrfTokenLen) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(got)
	if err != nil || len(b) != 2*csrfTokenLen {
		return false
	}
	tok := make([]byte, csrfTokenLen)
	for i := range tok {
		tok[i] = b[i] ^ b[csrfTokenLen+i]
	}
	for _, s := range g.secrets {
		if hmac.Equal(tok, csrfMAC(s, cookieValue)) {
			return true
		}
	}
	return false
}

// csrfCookieKey holds the token cookie's value set during this request (a
// new browser, or RotateCSRF), which the request's own Cookie header does
// not carry.
var csrfCookieKey = covet.NewKey[string]("auth.csrfCookie")

// newCookie sends a new random token cookie and makes it the request's.
func (g *csrfGuard) newCookie(c *covet.Context) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	c.SetHTTPCookie(&http.Cookie{Name: g.cookie, Value: v, Path: "/", HttpOnly: true, Secure: g.a.cfg.cookieSecure, SameSite: http.SameSiteLaxMode}) // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
	csrfCookieKey.Set(c, v)
	return v
}

// RotateCSRF replaces the browser's CSRF token cookie with a new random one,
// so every token rendered before no longer verifies (a 403 ProblemCSRF
// asking to reload the page). StartSession, EndSession, SetTokenCookie (for
// another user) and ClearTokenCookie call it: a token learned before sign-in
// (on a shared computer, or planted together with its cookie) is worthless
// after it, as Django and Rails do. Call it yourself when a user's
// privileges change without a new session (a "sudo mode" step-up). Tokens
// CSRFToken returns later in the same request match the new cookie. It
// does nothing without WithCSRF.
func (a *Auth) RotateCSRF(c *covet.Context) {
	if a.csrf == nil || a.csrf.secrets == nil {
		return
	}
	a.csrf.newCookie(c)
}

// CSRFToken returns the request's CSRF token for a form field or a header,
// setting the token cookie when the request has none. Each call returns a
// different string (the token masked with a fresh random pad, against
// BREACH when responses are compressed); every one of them verifies. It returns "" when
// the app's auth plugin has no WithCSRF. Template helpers render it:
//
//	<input type="hidden" name="csrf_token" value="{{ .CSRF }}">
func CSRFToken(c *covet.Context) string {
	a := authOf(c)
	if a == nil || a.csrf == nil || a.csrf.secrets == nil {
		return ""
	}
	g := a.csrf
	v, ok := csrfCookieKey.Get(c)
	if !ok {
		if ck, err := c.Request().Cookie(g.cookie); err == nil && ck.Value != "" {
			v = ck.Value
		} else {
			v = g.newCookie(c)
		}
	}
	return g.mask(v)
}

// CSRF returns middleware that applies the CSRF checks to every unsafe
// request, authenticated or not (a login form, a sign-up form).
func CSRF() covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			a := authOf(c)
			if a == nil {
				return errNotInstalled
			}
			if err := a.csrfCheck(c); err != nil {
				return err
			}
			return next(c)
		}
	}
}
