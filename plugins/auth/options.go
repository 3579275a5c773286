package auth

import (
	"net/http"
	"time"
)

// Option configures the plugin.
type Option func(*config)

type config struct {
	keys         []Key
	issuer       string
	audience     []string
	leeway       time.Duration
	accessTTL    time.Duration
	maxTokenSize int
	requireTyp   bool
	cacheSize    int
	now          func() time.Time
	realm        string
	jwksPath     string

	cookieName       string
	cookieSecure     bool
	cookieSameSite   http.SameSite
	queryParam       string
	wsProtocolPrefix string

	revocation RevocationStore
	failure    FailureMode

	refresh    RefreshStore
	refreshTTL time.Duration

	apiKeys      APIKeyStore
	apiKeyHeader string
	basic        BasicFunc

	sessions *sessionConfig
	logins   []*Login
	csrf     *csrfConfig
}

func defaultConfig() config {
	return config{
		leeway:         30 * time.Second,
		accessTTL:      15 * time.Minute,
		maxTokenSize:   DefaultMaxTokenSize,
		cacheSize:      10000,
		realm:          "api",
		jwksPath:       "/.well-known/jwks.json",
		cookieSecure:   true,
		cookieSameSite: http.SameSiteLaxMode,
		refreshTTL:     30 * 24 * time.Hour,
		apiKeyHeader:   "X-API-Key",
	}
}

// WithKeys sets the keys: the first key that can sign (a private key or a
// secret) signs new tokens, and all of them verify. Rotate later with
// Auth.Keys().Rotate.
func WithKeys(keys ...Key) Option {
	return func(c *config) { c.keys = append(c.keys, keys...) }
}

// WithIssuer sets the iss claim of issued tokens; verified tokens must carry it.
func WithIssuer(iss string) Option { return func(c *config) { c.issuer = iss } }

// WithAudience sets the aud claim of issued tokens; verified tokens must
// list every audience given (configure one).
func WithAudience(aud ...string) Option { return func(c *config) { c.audience = aud } }

// WithLeeway sets the clock skew allowed on exp, nbf and iat (default 30s).
func WithLeeway(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.leeway = d
		}
	}
}

// WithAccessTTL sets the lifetime of issued access tokens (default 15 minutes).
func WithAccessTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.accessTTL = d
		}
	}
}

// WithMaxTokenSize sets the longest token accepted, in bytes (default 8 KiB).
func WithMaxTokenSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxTokenSize = n
		}
	}
}

// WithRequireTokenType makes verification require the RFC 9068 header
// typ: at+jwt, so an ID token or another JWT signed with the same key is
// not taken for an access token. Tokens the plugin issues always carry it.
func WithRequireTokenType() Option { return func(c *config) { c.requireTyp = true } }

// WithVerifyCache sets how many verified tokens are remembered (default
// 10000; 0 turns the cache off). A remembered token is re-checked for its
// time window and revocation on every request, not for its signature.
func WithVerifyCache(n int) Option { return func(c *config) { c.cacheSize = max(n, 0) } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRealm sets the realm of WWW-Authenticate challenges (default "api").
func WithRealm(r string) Option { return func(c *config) { c.realm = r } }

// WithJWKSPath sets where the public keys are served (default
// /.well-known/jwks.json); "" serves none.
func WithJWKSPath(p string) Option { return func(c *config) { c.jwksPath = p } }

// WithCookie also reads the access token from this cookie (for browser
// apps; SetTokenCookie sends it HttpOnly, Secure, SameSite=Lax). Unsafe
// requests authenticated by it must pass the CSRF checks.
func WithCookie(name string) Option { return func(c *config) { c.cookieName = name } }

// WithInsecureCookie drops the Secure attribute from the plugin's cookies,
// for development over plain HTTP on localhost only.
func WithInsecureCookie() Option { return func(c *config) { c.cookieSecure = false } }

// WithCookieSameSite sets the SameSite mode of the plugin's cookies
// (default Lax; Strict for apps never entered by cross-site links).
func WithCookieSameSite(m http.SameSite) Option { return func(c *config) { c.cookieSameSite = m } }

// WithQueryToken also reads the access token from this query parameter,
// on WebSocket handshakes only (browsers cannot set headers there). Query
// strings end up in logs: prefer short-lived tokens.
func WithQueryToken(param string) Option { return func(c *config) { c.queryParam = param } }

// WithWebSocketProtocol also reads the access token from a
// Sec-WebSocket-Protocol entry "<prefix><token>" (for example prefix
// "bearer."), on WebSocket handshakes only.
func WithWebSocketProtocol(prefix string) Option {
	return func(c *config) { c.wsProtocolPrefix = prefix }
}

// WithRevocation checks every bearer token against the store (one call,
// one round trip, per request).
func WithRevocation(s RevocationStore) Option { return func(c *config) { c.revocation = s } }

// WithFailureMode sets what happens when the revocation store cannot
// answer (default FailClosed).
func WithFailureMode(m FailureMode) Option { return func(c *config) { c.failure = m } }

// WithRefresh issues refresh tokens, kept in the store, with this lifetime
// for a family (default 30 days when ttl <= 0).
func WithRefresh(s RefreshStore, ttl time.Duration) Option {
	return func(c *config) {
		c.refresh = s
		if ttl > 0 {
			c.refreshTTL = ttl
		}
	}
}

// WithAPIKeys accepts API keys, looked up hashed in the store, from the
// header (default X-API-Key when header is "").
func WithAPIKeys(s APIKeyStore, header string) Option {
	return func(c *config) {
		c.apiKeys = s
		if header != "" {
			c.apiKeyHeader = header
		}
	}
}

// WithBasic accepts HTTP Basic credentials checked by fn, for internal tools.
func WithBasic(fn BasicFunc) Option { return func(c *config) { c.basic = fn } }
