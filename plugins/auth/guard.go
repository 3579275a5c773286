package auth

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	covet "github.com/covetgo/covet/core"
)

// guard is one Required/Optional/Scopes/Roles requirement.
type guard struct {
	schemes  []string
	scopes   []string
	roles    []string
	optional bool
	// bearerOnly is the common case, served without the scheme loop.
	bearerOnly bool
	bound      atomic.Pointer[binding]
	// challenge is the WWW-Authenticate schemes of a 401.
	challenge string
}

// binding caches the plugin of the app a guard last served.
type binding struct {
	app *covet.App
	a   *Auth
}

var guardKey = covet.NewMetaKey[*guard]("auth.guard")

// Required refuses requests without valid credentials of one of the schemes
// (default SchemeBearer) with 401. Apply it to an app's routes through a
// group, to a group, or to a route:
//
//	api := app.Group("/api").With(auth.Required())
//	app.GET("/admin/stats", stats).With(auth.Required(auth.SchemeAPIKey, auth.SchemeBearer))
//
// The requirement is documented on the route (RouteInfo.Security), one
// alternative per scheme.
func Required(schemes ...string) covet.RouteOption {
	return newGuard(schemes, nil, nil, false)
}

// Optional authenticates requests that carry credentials of one of the
// schemes (invalid ones are still refused with 401) and lets anonymous
// requests through; auth.Principal tells which. A session cookie that names
// no live session (expired, unknown to the store, or signed with a secret no
// longer accepted) is not refused: the browser is anonymous and the cookie
// is cleared, so a user whose session ended still gets the login page.
func Optional(schemes ...string) covet.RouteOption {
	return newGuard(schemes, nil, nil, true)
}

// Scopes requires a bearer token granting every scope (403
// insufficient_scope otherwise). A principal set by an outer guard (for
// example Required(SchemeAPIKey) on the group) is checked as it is.
func Scopes(scopes ...string) covet.RouteOption {
	return newGuard(nil, scopes, nil, false)
}

// Roles requires a principal having at least one of the roles (403 otherwise).
func Roles(roles ...string) covet.RouteOption {
	return newGuard(nil, nil, roles, false)
}

func newGuard(schemes, scopes, roles []string, optional bool) covet.RouteOption {
	if len(schemes) == 0 {
		schemes = []string{SchemeBearer}
	}
	g := &guard{schemes: slices.Clone(schemes), scopes: slices.Clone(scopes), roles: slices.Clone(roles), optional: optional}
	g.bearerOnly = len(g.schemes) == 1 && g.schemes[0] == SchemeBearer
	var ch []string
	for _, s := range g.schemes {
		switch s {
		case SchemeBearer:
			ch = append(ch, "Bearer")
		case SchemeBasic:
			ch = append(ch, "Basic")
		case SchemeAPIKey:
			ch = append(ch, "APIKey")
		case SchemeSession:
			ch = append(ch, "Session")
		}
	}
	g.challenge = strings.Join(ch, ",")
	return func(r *covet.Route) {
		r.With(guardKey.Set(g), covet.UseMiddleware(g.middleware))
		if optional {
			r.Security("")
		}
		for _, s := range g.schemes {
			if s == SchemeBearer {
				r.Security(s, g.scopes...)
			} else {
				r.Security(s)
			}
		}
	}
}

// authOf returns the plugin installed in the request's app, or nil.
func authOf(c *covet.Context) *Auth {
	p, _ := c.App().Plugin("auth").(*Auth)
	return p
}

func (g *guard) plugin(c *covet.Context) *Auth {
	app := c.App()
	if b := g.bound.Load(); b != nil && b.app == app {
		return b.a
	}
	a := authOf(c)
	if a != nil {
		g.bound.Store(&binding{app: app, a: a})
	}
	return a
}

var errNotInstalled = errors.New("auth: a route has an auth guard but the auth plugin is not installed")

func (g *guard) middleware(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		a := g.plugin(c)
		if a == nil {
			return errNotInstalled // a logged 500: request-time misconfiguration
		}
		u, ok := userKey.Get(c)
		if !ok || u == nil {
			var err error
			if g.bearerOnly {
				var present bool
				if u, present, err = a.bearer(c); !present && err == nil {
					err = ErrTokenMissing
				}
			} else {
				u, err = a.authenticate(c, g.schemes)
			}
			if err != nil {
				if errors.Is(err, ErrTokenMissing) && g.optional {
					return next(c)
				}
				// An expired or unknown session where signing in is
				// optional (the login page itself): the browser is
				// anonymous, and its useless cookie is dropped.
				var stale staleSession
				if g.optional && errors.As(err, &stale) {
					a.sessions.clearCookie(c)
					return next(c)
				}
				return a.refuse(c, err, g.challenge)
			}
			if err := a.checkCSRF(c, u); err != nil {
				a.stats.refused.Add(1)
				a.stats.refusedBy[refusalReason(ErrCSRF)].Add(1)
				return err
			}
			userKey.Set(c, u)
			a.stats.authenticated.Add(1)
		}
		for _, s := range g.scopes {
			if !u.HasScope(s) {
				a.stats.forbidden.Add(1)
				return forbidden(c, u, g.scopes, "missing scope "+s)
			}
		}
		if len(g.roles) > 0 && !slices.ContainsFunc(g.roles, u.HasRole) {
			a.stats.forbidden.Add(1)
			return forbidden(c, u, nil, "none of the roles "+strings.Join(g.roles, ", "))
		}
		if u.Method == MethodSession && a.sessions != nil {
			return a.sessions.serve(c, next)
		}
		return next(c)
	}
}

func (a *Auth) refuse(c *covet.Context, err error, challenge string) error {
	if errors.Is(err, ErrRevocationUnknown) {
		logRefusal(c, "auth: revocation store unavailable; request refused (fail closed)", err)
		return unavailable(err)
	}
	if errors.Is(err, ErrStoreUnavailable) {
		logRefusal(c, "auth: credential store unavailable", err)
		return unavailable(err)
	}
	a.stats.refused.Add(1)
	a.stats.refusedBy[refusalReason(err)].Add(1)
	return unauthorized(c, err, challenge)
}

// refusalReasons name why credentials were refused, for the figure
// refused{reason}; the last is everything else.
var refusalReasons = [...]struct {
	err    error
	labels []covet.StatLabel
}{
	{ErrTokenMissing, reasonLabel("missing")},
	{ErrTokenTooLarge, reasonLabel("malformed")},
	{ErrTokenMalformed, reasonLabel("malformed")},
	{ErrTokenHeader, reasonLabel("malformed")},
	{ErrTokenType, reasonLabel("malformed")},
	{ErrTokenAlgorithm, reasonLabel("algorithm")},
	{ErrTokenUnknownKey, reasonLabel("unknown_key")},
	{ErrTokenSignature, reasonLabel("signature_or_claims")},
	{ErrTokenSubject, reasonLabel("no_subject")},
	{ErrTokenRevoked, reasonLabel("revoked")},
	{ErrBadCredentials, reasonLabel("bad_credentials")},
	{ErrSessionExpired, reasonLabel("session_expired")},
	{ErrCSRF, reasonLabel("csrf")},
	{nil, reasonLabel("other")},
}

func reasonLabel(r string) []covet.StatLabel { return []covet.StatLabel{{Name: "reason", Value: r}} }

// refusalReason returns the index in refusalReasons of err's reason.
func refusalReason(err error) int {
	for i, r := range refusalReasons[:len(refusalReasons)-1] {
		if errors.Is(err, r.err) {
			return i
		}
	}
	return len(refusalReasons) - 1
}

// Authenticate checks the request's credentials of the given schemes
// (default SchemeBearer) and returns the user, for handlers and middleware
// outside the guards. It does not make the user the request's principal
// (Principal does not return it): a guard further in still authenticates
// the request itself, with its CSRF check on session cookies, which a
// principal already set would skip. It returns an error wrapping
// ErrTokenMissing when the request carries none.
func (a *Auth) Authenticate(c *covet.Context, schemes ...string) (*User, error) {
	if len(schemes) == 0 {
		schemes = []string{SchemeBearer}
	}
	return a.authenticate(c, schemes)
}

// authenticate tries the schemes in order; the first credentials present
// decide (invalid ones are not passed over for the next scheme).
func (a *Auth) authenticate(c *covet.Context, schemes []string) (*User, error) {
	for _, s := range schemes {
		var u *User
		var err error
		switch s {
		case SchemeBearer:
			var present bool
			u, present, err = a.bearer(c)
			if !present {
				continue
			}
		case SchemeAPIKey:
			if a.cfg.apiKeys == nil {
				continue
			}
			keys := c.Request().Header.Values(a.cfg.apiKeyHeader)
			if len(keys) > 1 {
				// As with two Authorization headers: which one a proxy
				// checked is unknown.
				return nil, fmt.Errorf("%w: more than one %s header", ErrBadCredentials, a.cfg.apiKeyHeader)
			}
			if len(keys) == 0 || keys[0] == "" {
				continue
			}
			key := keys[0]
			u, err = a.checkAPIKey(c.Context(), key)
		case SchemeBasic:
			if a.cfg.basic == nil {
				continue
			}
			if err := oneAuthorization(c.Request()); err != nil {
				return nil, err
			}
			name, pass, ok := c.Request().BasicAuth()
			if !ok {
				continue
			}
			u, err = a.checkBasic(c, name, pass)
		case SchemeSession:
			if a.sessions == nil {
				continue
			}
			var present bool
			u, present, err = a.sessions.authenticate(c)
			if !present {
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		return u, nil
	}
	return nil, ErrTokenMissing
}

// bearer authenticates the request's access token, if it has one.
func (a *Auth) bearer(c *covet.Context) (u *User, present bool, err error) {
	if err := oneAuthorization(c.Request()); err != nil {
		return nil, true, err
	}
	tok, method := a.accessToken(c)
	if tok == "" {
		return nil, false, nil
	}
	if u, ok := checkedFor(c, SchemeBearer, tok); ok {
		return u, true, nil
	}
	u, err = a.verifyToken(tok)
	if err == nil {
		err = a.checkRevoked(c.Context(), u)
	}
	if err != nil {
		return nil, true, err
	}
	if method != MethodBearer {
		cp := *u
		cp.Method = method
		u = &cp
	}
	checkedKey.Set(c, checked{scheme: SchemeBearer, cred: tok, u: u})
	return u, true, nil
}

// checked is a request's credentials that passed every check (signature,
// time window, revocation or session lookup), kept for the request under
// checkedKey: the rate limiter's key (Authenticate) and the route's guard
// ask about the same credentials, and a networked revocation or session
// store then answers once per request, not once per asker. A failure is
// not kept (the next asker asks the store again). A revocation made while
// the request runs applies from the next request.
type checked struct {
	scheme, cred string
	u            *User
}

var checkedKey = covet.NewKey[checked]("auth.checked")

// checkedFor returns the user of credentials cred of scheme already checked
// during this request.
func checkedFor(c *covet.Context, scheme, cred string) (*User, bool) {
	k, ok := checkedKey.Get(c)
	if !ok || k.u == nil || k.scheme != scheme || k.cred != cred {
		return nil, false
	}
	return k.u, true
}

// isUnsafe reports methods that change state (RFC 9110 §9.2.1).
func isUnsafe(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}
