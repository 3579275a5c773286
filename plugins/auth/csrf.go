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
	secret  []byte
	cookie  string
	origins []string
}

// CSRFOption configures the CSRF token.
type CSRFOption func(*csrfConfig)

// WithTrustedOrigins lets unsafe requests from these origins
// ("https://admin.example.com") through the cross-origin check.
func WithTrustedOrigins(origins ...string) CSRFOption {
	return func(c *csrfConfig) { c.origins = append(c.origins, origins...) }
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
	a      *Auth
	cop    *http.CrossOriginProtection
	secret []byte
	cookie string
}

func newCSRF(a *Auth, cfg *csrfConfig) (*csrfGuard, error) {
	g := &csrfGuard{a: a, cop: http.NewCrossOriginProtection(), cookie: cfg.cookie}
	if cfg.secret != nil && len(cfg.secret) < MinHMACSecret {
		return nil, fmt.Errorf("auth: WithCSRF: secret of %d bytes; at least %d are required", len(cfg.secret), MinHMACSecret)
	}
	g.secret = cfg.secret
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
	if a.csrf == nil || a.csrf.secret == nil {
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
		return csrfRefused(c, errors.New("CSRF token wrong"))
	}
	return nil
}

func csrfRefused(c *covet.Context, why error) error {
	logRefusal(c, "auth: cross-site request refused", why)
	return covet.NewError(http.StatusForbidden, "cross-site request refused").WithType(ProblemCSRF).WithCause(fmt.Errorf("%w: %w", ErrCSRF, why))
}

// csrfTokenLen is the length of the unmasked token (an HMAC-SHA256).
const csrfTokenLen = sha256.Size

// token is the HMAC of the cookie's random value. It is not bound to the
// session, so a form rendered before login still posts after it; the
// cookie is __Host- prefixed (no subdomain can plant one) and a planted
// cookie without the server's HMAC is worthless. It is never sent as it
// is: see mask.
func (g *csrfGuard) token(cookieValue string) []byte {
	m := hmac.New(sha256.New, g.secret)
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
	return hmac.Equal(tok, g.token(cookieValue))
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
	if a == nil || a.csrf == nil || a.csrf.secret == nil {
		return ""
	}
	g := a.csrf
	v := ""
	if ck, err := c.Request().Cookie(g.cookie); err == nil && ck.Value != "" {
		v = ck.Value
	} else {
		var b [24]byte
		_, _ = rand.Read(b[:])
		v = base64.RawURLEncoding.EncodeToString(b[:])
		c.SetHTTPCookie(&http.Cookie{Name: g.cookie, Value: v, Path: "/", HttpOnly: true, Secure: a.cfg.cookieSecure, SameSite: http.SameSiteLaxMode}) // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
		// Later reads in this request see the new cookie.
		c.Request().AddCookie(&http.Cookie{Name: g.cookie, Value: v}) // #nosec G124 -- added to the request being served, so later reads in this request see it; not a cookie sent to the client
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
