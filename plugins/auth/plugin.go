package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
)

// Security scheme names the plugin registers with App.SecurityScheme and
// guards put on routes (RouteInfo.Security), for documentation plugins.
const (
	SchemeBearer  = "bearerAuth"    // JWT access tokens (header, cookie, ...)
	SchemeAPIKey  = "apiKeyAuth"    // API keys in a header
	SchemeBasic   = "basicAuth"     // HTTP Basic
	SchemeSession = "sessionCookie" // server-side sessions
)

// Auth is the authentication plugin: it issues and verifies tokens, runs
// the guards, and (when configured) refresh tokens, API keys, Basic,
// sessions, CSRF and OAuth2/OIDC login. Create it with New and install it
// with App.Install; guards (Required, Scopes, Roles, Optional) find it
// through the app.
type Auth struct {
	cfg   config
	ring  *KeyRing
	ver   *verifier
	cache *verifyCache
	app   *covet.App
	log   atomic.Pointer[slog.Logger]
	err   error

	sessions *sessions
	csrf     *csrfGuard
	logins   []*Login

	stats struct {
		authenticated, refused, forbidden atomic.Uint64
		failedOpen, failedClosed          atomic.Uint64
		refreshReuse                      atomic.Uint64
		refusedBy                         [len(refusalReasons)]atomic.Uint64
		loginsOK, loginsFailed            atomic.Uint64
		sessionsStarted                   atomic.Uint64
		lastOpenLog                       atomic.Int64
		openSinceLog                      atomic.Uint64
	}
}

// New returns the plugin. Configuration errors (a bad key, an HMAC secret
// shorter than 32 bytes, no key at all) are returned by App.Install.
func New(opts ...Option) *Auth {
	a := &Auth{cfg: defaultConfig()}
	for _, o := range opts {
		if o != nil {
			o(&a.cfg)
		}
	}
	a.log.Store(slog.New(slog.DiscardHandler))
	a.err = a.configure()
	return a
}

func (a *Auth) configure() error {
	if len(a.cfg.keys) == 0 {
		return errors.New("auth: no keys (WithKeys)")
	}
	signer := ""
	for _, k := range a.cfg.keys {
		if k.err == nil && k.CanSign() {
			signer = k.id
			break
		}
	}
	ring, err := newKeyRing(signer, a.cfg.keys)
	if err != nil {
		return err
	}
	a.ring = ring
	a.ver = newVerifier(ring, &a.cfg)
	a.cache = newVerifyCache(a.cfg.cacheSize)
	if a.cache != nil {
		ring.onRetire = a.cache.clear
	}
	if a.cfg.sessions != nil {
		s, err := newSessions(a, a.cfg.sessions)
		if err != nil {
			return err
		}
		a.sessions = s
	}
	for _, l := range a.cfg.logins {
		l.a = a
		a.logins = append(a.logins, l)
	}
	if a.cfg.csrf != nil {
		g, err := newCSRF(a, a.cfg.csrf)
		if err != nil {
			return err
		}
		a.csrf = g
	}
	return nil
}

func (a *Auth) now() time.Time {
	if a.cfg.now != nil {
		return a.cfg.now()
	}
	return time.Now()
}

// Name returns "auth".
func (a *Auth) Name() string { return "auth" }

// Install checks the configuration, registers the security schemes and the
// JWKS route, and the login routes of configured providers.
func (a *Auth) Install(app *covet.App) error {
	if a.err != nil {
		return a.err
	}
	if a.app != nil {
		return errors.New("auth: plugin already installed in an app")
	}
	a.app = app
	a.log.Store(app.Logger())
	app.DocumentResponses(documentResponses)
	app.SecurityScheme(SchemeBearer, covet.SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: "JWT", Description: "JWT access token (RFC 9068)"})
	if a.cfg.apiKeys != nil {
		app.SecurityScheme(SchemeAPIKey, covet.SecurityScheme{Type: "apiKey", In: "header", Name: a.cfg.apiKeyHeader, Description: "API key"})
	}
	if a.cfg.basic != nil {
		app.SecurityScheme(SchemeBasic, covet.SecurityScheme{Type: "http", Scheme: "basic"})
	}
	if a.sessions != nil {
		app.SecurityScheme(SchemeSession, covet.SecurityScheme{Type: "apiKey", In: "cookie", Name: a.sessions.cfg.cookie, Description: "session cookie"})
	}
	if a.cfg.jwksPath != "" {
		app.GET(a.cfg.jwksPath, a.serveJWKS).Summary("Public keys of the access tokens (JWKS)").Tags("auth")
	}
	for _, l := range a.logins {
		if err := l.install(app); err != nil {
			a.app = nil
			return err
		}
	}
	return nil
}

func (a *Auth) serveJWKS(c *covet.Context) error {
	c.SetHeader("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/jwk-set+json", a.ring.load().jwks)
}

// Start starts the stores that have work to do at start (Redis scripts).
func (a *Auth) Start(ctx context.Context) error {
	for _, s := range a.stores() {
		if st, ok := s.(covet.Starter); ok {
			if err := st.Start(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// Stop stops the stores that have work to do at shutdown.
func (a *Auth) Stop(ctx context.Context) error {
	var errs []error
	for _, s := range a.stores() {
		if st, ok := s.(covet.Stopper); ok {
			errs = append(errs, st.Stop(ctx))
		}
	}
	return errors.Join(errs...)
}

// CheckHealth reports the worst health of the stores that report one.
func (a *Auth) CheckHealth(ctx context.Context, kind covet.HealthKind) covet.HealthReport {
	rep := covet.HealthReport{Status: covet.HealthOK, Details: map[string]any{"failure_mode": a.cfg.failure.String()}}
	for _, s := range a.stores() {
		if h, ok := s.(covet.HealthChecker); ok {
			r := h.CheckHealth(ctx, kind)
			if r.Status != covet.HealthOK && rep.Status != covet.HealthDown {
				rep.Status, rep.Error = r.Status, r.Error
			}
		}
	}
	// A revocation store that is down only degrades a fail-open app.
	if rep.Status == covet.HealthDown && a.cfg.failure == FailOpen {
		rep.Status = covet.HealthDegraded
	}
	return rep
}

func (a *Auth) stores() []any {
	var out []any
	seen := map[any]bool{}
	add := func(v any) {
		if v == nil {
			return
		}
		defer func() { _ = recover() }() // unhashable stores are simply not deduplicated
		if seen[v] {
			return
		}
		seen[v] = true
		out = append(out, v)
	}
	if a.cfg.revocation != nil {
		add(a.cfg.revocation)
	}
	if a.cfg.refresh != nil {
		add(a.cfg.refresh)
	}
	if a.sessions != nil {
		add(a.sessions.store)
	}
	return out
}

// ObserveRoutes refuses routes whose guards name a scheme the plugin was
// not configured for (a route that requires API keys in an app without an
// API key store would refuse every request).
func (a *Auth) ObserveRoutes(routes []covet.RouteInfo) error {
	have := a.configuredSchemes()
	var errs []error
	for i := range routes {
		g, ok := guardKey.Get(&routes[i])
		if !ok {
			continue
		}
		for _, s := range g.schemes {
			if !have[s] {
				errs = append(errs, fmt.Errorf("auth: route %s requires scheme %q, which the plugin is not configured for", routes[i].String(), s))
			}
		}
	}
	return errors.Join(errs...)
}

func (a *Auth) configuredSchemes() map[string]bool {
	return map[string]bool{
		SchemeBearer:  true,
		SchemeAPIKey:  a.cfg.apiKeys != nil,
		SchemeBasic:   a.cfg.basic != nil,
		SchemeSession: a.sessions != nil,
	}
}

// Keys returns the key ring, to rotate keys while the app serves.
func (a *Auth) Keys() *KeyRing { return a.ring }

// Issue signs an access token for subject with the signing key.
func (a *Auth) Issue(subject string, opts ...TokenOption) (string, error) {
	if a.err != nil {
		return "", a.err
	}
	tok, _, err := a.sign(subject, opts)
	return tok, err
}

// Verify checks an access token with every check of the plugin (signature
// with the key its kid names and that key's algorithm only, exp required,
// nbf and iat, iss and aud, headers, size) and revocation, and returns its
// user.
func (a *Auth) Verify(ctx context.Context, token string) (*User, error) {
	if a.err != nil {
		return nil, a.err
	}
	u, err := a.verifyToken(token)
	if err != nil {
		return nil, err
	}
	if err := a.checkRevoked(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// verifyToken checks a token, through the cache of verified tokens.
func (a *Auth) verifyToken(tok string) (*User, error) {
	if a.cache != nil {
		if u, ok := a.cache.get(tok, a.now().Unix()); ok {
			return u, nil
		}
	}
	u, nbf, err := a.ver.verify(tok)
	if err != nil {
		return nil, err
	}
	if a.cache != nil {
		// Whole seconds, rounded towards refusal: exp and nbf are whole
		// seconds already, the leeway may not be.
		e := &cachedToken{token: tok, user: u, notAfter: u.ExpiresAt.Add(a.cfg.leeway).Unix()}
		if !nbf.IsZero() {
			e.notBefore = nbf.Add(-a.cfg.leeway).Unix() + 1
			if (a.cfg.leeway % time.Second) == 0 {
				e.notBefore--
			}
		}
		a.cache.put(e)
	}
	return u, nil
}

// checkRevoked asks the revocation store; a store that cannot answer is
// handled per the failure mode.
func (a *Auth) checkRevoked(ctx context.Context, u *User) error {
	rs := a.cfg.revocation
	if rs == nil {
		return nil
	}
	revoked, err := rs.Revoked(ctx, u.TokenID, u.ID, u.IssuedAt)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		if a.cfg.failure == FailOpen {
			a.stats.failedOpen.Add(1)
			a.logFailOpen(err)
			return nil
		}
		a.stats.failedClosed.Add(1)
		return fmt.Errorf("%w: %w", ErrRevocationUnknown, err)
	}
	if revoked {
		return ErrTokenRevoked
	}
	return nil
}

// logFailOpen logs at most one line per 10 seconds while requests fail open.
func (a *Auth) logFailOpen(err error) {
	n := a.stats.openSinceLog.Add(1)
	now := time.Now().UnixNano()
	last := a.stats.lastOpenLog.Load()
	if now-last < int64(10*time.Second) || !a.stats.lastOpenLog.CompareAndSwap(last, now) {
		return
	}
	a.stats.openSinceLog.Add(-n)
	a.log.Load().Warn("auth: revocation store unavailable; requests fail open (tokens are not checked for revocation)", "error", err.Error(), "requests", n)
}

// Revoke revokes one access token (by its jti) until it expires.
func (a *Auth) Revoke(ctx context.Context, u *User) error {
	if a.cfg.revocation == nil {
		return errors.New("auth: Revoke: no revocation store (WithRevocation)")
	}
	if u.TokenID == "" {
		return errors.New("auth: Revoke: the token has no jti")
	}
	return a.cfg.revocation.RevokeToken(ctx, u.ID, u.TokenID, u.ExpiresAt.Add(a.cfg.leeway))
}

// RevokeAll logs a user out everywhere: every access token issued to the
// subject until now, every refresh token family started until now, and
// every session of the user are refused from now on.
func (a *Auth) RevokeAll(ctx context.Context, subject string) error {
	var errs []error
	if a.cfg.revocation != nil {
		errs = append(errs, a.cfg.revocation.RevokeSubject(ctx, subject, a.now()))
	}
	if a.cfg.refresh != nil {
		errs = append(errs, a.cfg.refresh.RevokeSubject(ctx, subject))
	}
	if a.sessions != nil {
		errs = append(errs, a.sessions.store.DeleteUser(ctx, subject))
	}
	if a.cfg.revocation == nil && a.cfg.refresh == nil && a.sessions == nil {
		return errors.New("auth: RevokeAll: no revocation store, refresh store or sessions configured")
	}
	return errors.Join(errs...)
}

// Stats are the plugin's counters since start.
type Stats struct {
	// Authenticated and Refused count guard decisions (401s are Refused).
	Authenticated, Refused uint64
	// Forbidden counts 403s (missing scope or role).
	Forbidden uint64
	// FailedOpen and FailedClosed count requests the revocation store could
	// not answer, let through or refused per the failure mode.
	FailedOpen, FailedClosed uint64
	// RefreshReuse counts refresh tokens presented twice (families revoked).
	RefreshReuse uint64
}

// Stats returns the counters.
func (a *Auth) Stats() Stats {
	return Stats{
		Authenticated: a.stats.authenticated.Load(), Refused: a.stats.refused.Load(),
		Forbidden:  a.stats.forbidden.Load(),
		FailedOpen: a.stats.failedOpen.Load(), FailedClosed: a.stats.failedClosed.Load(),
		RefreshReuse: a.stats.refreshReuse.Load(),
	}
}

var (
	loginOK     = []covet.StatLabel{{Name: "result", Value: "ok"}}
	loginFailed = []covet.StatLabel{{Name: "result", Value: "failed"}}
)

// AppendStats appends the plugin's figures (covet.StatsReporter):
// authenticated, refused (401s, labelled by reason: missing, malformed,
// algorithm, unknown_key, signature_or_claims, no_subject, revoked,
// bad_credentials, session_expired, csrf, other), forbidden (403s),
// failed_open and failed_closed (the revocation store could not answer),
// refresh_reuse, logins (OAuth2/OIDC callbacks, labelled result ok or
// failed) and sessions_started.
func (a *Auth) AppendStats(dst []covet.Stat) []covet.Stat {
	st := &a.stats
	dst = append(dst,
		covet.Stat{Name: "authenticated", Help: "Requests a guard let in with valid credentials.", Kind: covet.StatCounter, Value: float64(st.authenticated.Load())},
		covet.Stat{Name: "forbidden", Help: "Requests refused with 403 (missing scope or role).", Kind: covet.StatCounter, Value: float64(st.forbidden.Load())},
		covet.Stat{Name: "failed_open", Help: "Requests let through because the revocation store could not answer.", Kind: covet.StatCounter, Value: float64(st.failedOpen.Load())},
		covet.Stat{Name: "failed_closed", Help: "Requests refused because the revocation store could not answer.", Kind: covet.StatCounter, Value: float64(st.failedClosed.Load())},
		covet.Stat{Name: "refresh_reuse", Help: "Refresh tokens presented twice (their family revoked).", Kind: covet.StatCounter, Value: float64(st.refreshReuse.Load())},
		covet.Stat{Name: "logins", Help: "OAuth2/OIDC login callbacks, by result.", Kind: covet.StatCounter, Value: float64(st.loginsOK.Load()), Labels: loginOK},
		covet.Stat{Name: "logins", Help: "OAuth2/OIDC login callbacks, by result.", Kind: covet.StatCounter, Value: float64(st.loginsFailed.Load()), Labels: loginFailed},
		covet.Stat{Name: "sessions_started", Help: "Sessions started (StartSession).", Kind: covet.StatCounter, Value: float64(st.sessionsStarted.Load())},
	)
	for i := range refusalReasons {
		r := &refusalReasons[i]
		v := float64(st.refusedBy[i].Load())
		if i > 0 && refusalReasons[i-1].labels[0] == r.labels[0] {
			dst[len(dst)-1].Value += v // several errors share a reason ("malformed")
			continue
		}
		dst = append(dst, covet.Stat{Name: "refused", Help: "Requests refused with 401, by reason.", Kind: covet.StatCounter, Value: v, Labels: r.labels})
	}
	return dst
}

var (
	_ covet.StatsReporter = (*Auth)(nil)
	_ covet.Plugin        = (*Auth)(nil)
	_ covet.Starter       = (*Auth)(nil)
	_ covet.Stopper       = (*Auth)(nil)
	_ covet.HealthChecker = (*Auth)(nil)
	_ covet.RouteObserver = (*Auth)(nil)
)
