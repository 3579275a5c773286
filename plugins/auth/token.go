package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Why a token was refused. They go to the log (at debug level) and to
// errors.Is; a client sees only "invalid_token".
var (
	ErrTokenMissing      = errors.New("auth: no credentials")
	ErrTokenTooLarge     = errors.New("auth: token larger than the size limit")
	ErrTokenMalformed    = errors.New("auth: token is not a compact JWS")
	ErrTokenAlgorithm    = errors.New("auth: token algorithm does not match its key")
	ErrTokenUnknownKey   = errors.New("auth: token key ID is unknown")
	ErrTokenHeader       = errors.New("auth: token header refused")
	ErrTokenType         = errors.New("auth: token type is not at+jwt")
	ErrTokenSignature    = errors.New("auth: token signature or claims invalid")
	ErrTokenSubject      = errors.New("auth: token has no subject")
	ErrTokenRevoked      = errors.New("auth: token revoked")
	ErrRevocationUnknown = errors.New("auth: revocation store unavailable")
)

// DefaultMaxTokenSize is the default limit on a token's length (8 KiB):
// longer ones are refused before any parsing.
const DefaultMaxTokenSize = 8 << 10

// TokenType is the RFC 9068 media type of access tokens, in the typ header.
const TokenType = "at+jwt"

// verifier checks access tokens. It is immutable once built; the keys it
// reads rotate through the KeyRing.
type verifier struct {
	ring       *KeyRing
	maxSize    int
	requireTyp bool
	leeway     time.Duration
	now        func() time.Time
	opts       []jwt.ParseOption
	provider   *keyProvider
}

func newVerifier(ring *KeyRing, cfg *config) *verifier {
	v := &verifier{ring: ring, maxSize: cfg.maxTokenSize, requireTyp: cfg.requireTyp, leeway: cfg.leeway, now: cfg.now}
	v.provider = &keyProvider{v: v}
	v.opts = []jwt.ParseOption{
		jwt.WithKeyProvider(v.provider),
		jwt.WithAcceptableSkew(cfg.leeway),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
	}
	if cfg.issuer != "" {
		v.opts = append(v.opts, jwt.WithIssuer(cfg.issuer))
	}
	for _, a := range cfg.audience {
		// Tokens must name every configured audience; configure one.
		v.opts = append(v.opts, jwt.WithAudience(a))
	}
	if cfg.now != nil {
		v.opts = append(v.opts, jwt.WithClock(jwt.ClockFunc(cfg.now)))
	}
	return v
}

// keyProvider is where the header is checked: jwx calls it with the parsed
// protected header before it verifies the signature, so nothing is parsed
// twice. It hands jwx exactly one key, with the key's own algorithm.
type keyProvider struct{ v *verifier }

func (p *keyProvider) FetchKeys(_ context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
	if err := checkHeader(sig); err != nil {
		return err
	}
	h := sig.ProtectedHeaders()
	alg := h.Algorithm()
	if p.v.requireTyp && !strings.EqualFold(strings.TrimPrefix(strings.ToLower(h.Type()), "application/"), TokenType) {
		return fmt.Errorf("%w: typ %q", ErrTokenType, h.Type())
	}
	ks := p.v.ring.load()
	kid := h.KeyID()
	if kid != "" {
		k := ks.byID[kid]
		if k == nil {
			return fmt.Errorf("%w: %q", ErrTokenUnknownKey, clip(kid))
		}
		if k.alg != alg {
			return fmt.Errorf("%w: header %s, key %q is %s", ErrTokenAlgorithm, alg, clip(kid), k.alg)
		}
		sink.Key(k.alg, k.verify)
		return nil
	}
	// No kid: every key of the token's algorithm is tried.
	n := 0
	for _, k := range ks.all {
		if k.alg == alg {
			sink.Key(k.alg, k.verify)
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: no key for %s", ErrTokenAlgorithm, alg)
	}
	return nil
}

// clip shortens attacker-controlled text before it is logged.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// precheck refuses what jwx would accept but Covet does not, before any
// decoding: oversized tokens and anything but the compact serialization
// (three base64url parts).
func (v *verifier) precheck(tok string) error {
	if len(tok) > v.maxSize {
		return ErrTokenTooLarge
	}
	dots := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c == '.':
			dots++
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return ErrTokenMalformed
		}
	}
	if dots != 2 || tok[0] == '.' || tok[len(tok)-1] == '.' {
		// an empty signature part is a stripped signature
		return ErrTokenMalformed
	}
	return nil
}

// verify checks a token completely and returns its user.
func (v *verifier) verify(tok string) (*User, time.Time, error) {
	if err := v.precheck(tok); err != nil {
		return nil, time.Time{}, err
	}
	t, err := jwt.ParseString(tok, v.opts...)
	if err != nil {
		if errors.Is(err, ErrTokenHeader) || errors.Is(err, ErrTokenAlgorithm) || errors.Is(err, ErrTokenUnknownKey) || errors.Is(err, ErrTokenType) {
			return nil, time.Time{}, err
		}
		return nil, time.Time{}, fmt.Errorf("%w: %w", ErrTokenSignature, err)
	}
	u, err := userFromToken(t)
	if err != nil {
		return nil, time.Time{}, err
	}
	return u, t.NotBefore(), nil
}

func userFromToken(t jwt.Token) (*User, error) {
	sub := t.Subject()
	if sub == "" {
		return nil, ErrTokenSubject
	}
	u := &User{
		ID:        sub,
		Method:    MethodBearer,
		TokenID:   t.JwtID(),
		IssuedAt:  issuedAt(t),
		ExpiresAt: t.Expiration(),
		token:     t,
	}
	if s, ok := t.Get("scope"); ok {
		if str, ok := s.(string); ok {
			u.Scopes = strings.Fields(str)
		}
	}
	if r, ok := t.Get("roles"); ok {
		u.Roles = stringList(r)
	}
	return u.withLists(), nil
}

// IssuedAtMillisClaim is the private claim in which Issue records the
// token's issue time in Unix milliseconds, next to the standard iat (whole
// seconds, RFC 7519). RevokeAll's cut-off is compared with it, so a token
// issued after a "log out everywhere" in the same second is honoured. It
// refines iat only within iat's second: a token without it, or whose value
// names another second, is judged by iat (issued at the start of its
// second, so refused by a cut-off later in that second).
const IssuedAtMillisClaim = "iat_ms"

// issuedAt returns the token's issue time: iat refined by IssuedAtMillisClaim.
func issuedAt(t jwt.Token) time.Time {
	iat := t.IssuedAt()
	v, ok := t.Get(IssuedAtMillisClaim)
	if !ok || iat.IsZero() {
		return iat
	}
	var ms int64
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return iat
		}
		ms = int64(x)
	case int64:
		ms = x
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return iat
		}
		ms = n
	default:
		return iat
	}
	// Within iat's second only.
	if ms < 0 || ms/1000 != iat.Unix() {
		return iat
	}
	return time.UnixMilli(ms)
}

func stringList(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return strings.Fields(x)
	}
	return nil
}

// verifyCache remembers tokens that passed every check that does not
// depend on time: a token seen again needs only its time window re-checked
// (and revocation, which is never cached). Entries are found by the last
// 32 characters of the token (its signature: random, so a short hash key)
// and must then match the whole token exactly. The cache is cleared when a
// key is retired, and whole when full.
type verifyCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]*cachedToken
}

type cachedToken struct {
	token     string
	user      *User
	notAfter  int64 // Unix seconds: exp + leeway
	notBefore int64 // Unix seconds: nbf - leeway (0: none)
}

// cacheKeyLen is how much of the token's end keys the cache.
const cacheKeyLen = 32

func newVerifyCache(n int) *verifyCache {
	if n <= 0 {
		return nil
	}
	return &verifyCache{max: n, m: make(map[string]*cachedToken, min(n, 1024))}
}

func (c *verifyCache) get(tok string, now int64) (*User, bool) {
	if len(tok) < cacheKeyLen {
		return nil, false
	}
	c.mu.RLock()
	e := c.m[tok[len(tok)-cacheKeyLen:]]
	c.mu.RUnlock()
	if e == nil || e.token != tok || now >= e.notAfter || now < e.notBefore {
		return nil, false
	}
	return e.user, true
}

func (c *verifyCache) put(e *cachedToken) {
	if len(e.token) < cacheKeyLen {
		return
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[e.token[len(e.token)-cacheKeyLen:]] = e
	c.mu.Unlock()
}

func (c *verifyCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// TokenOption adds to an access token Issue signs.
type TokenOption func(*tokenSpec)

type tokenSpec struct {
	scopes, roles []string
	ttl           time.Duration
	claims        map[string]any
	audience      []string
}

// WithScopes sets the token's scope claim (space-separated, RFC 9068).
func WithScopes(scopes ...string) TokenOption {
	return func(s *tokenSpec) { s.scopes = append(s.scopes, scopes...) }
}

// WithRoles sets the token's roles claim.
func WithRoles(roles ...string) TokenOption {
	return func(s *tokenSpec) { s.roles = append(s.roles, roles...) }
}

// WithTTL sets the token's lifetime (default: the plugin's access TTL).
func WithTTL(d time.Duration) TokenOption { return func(s *tokenSpec) { s.ttl = d } }

// WithClaim adds a private claim. Registered claims (iss, sub, aud, exp,
// nbf, iat, jti) and IssuedAtMillisClaim cannot be set this way.
func WithClaim(name string, value any) TokenOption {
	return func(s *tokenSpec) {
		if s.claims == nil {
			s.claims = map[string]any{}
		}
		s.claims[name] = value
	}
}

// WithTokenAudience sets the token's audience instead of the plugin's.
func WithTokenAudience(aud ...string) TokenOption {
	return func(s *tokenSpec) { s.audience = aud }
}

var registeredClaims = map[string]bool{"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true, IssuedAtMillisClaim: true}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sign builds and signs an access token.
func (a *Auth) sign(subject string, opts []TokenOption) (string, *User, error) {
	if subject == "" {
		return "", nil, errors.New("auth: Issue: empty subject")
	}
	spec := tokenSpec{ttl: a.cfg.accessTTL, audience: a.cfg.audience}
	for _, o := range opts {
		o(&spec)
	}
	if spec.ttl <= 0 {
		return "", nil, errors.New("auth: Issue: the token lifetime must be positive")
	}
	ks := a.ring.load()
	if ks.signer == nil {
		return "", nil, errors.New("auth: Issue: no signing key (only verification keys are configured)")
	}
	// iat, nbf and exp have whole seconds (NumericDate as every library
	// reads it); the issue time in milliseconds goes in a private claim,
	// for RevokeAll's cut-off.
	exact := a.now()
	now := exact.Truncate(time.Second)
	b := jwt.NewBuilder().
		Subject(subject).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(spec.ttl)).
		JwtID(newID()).
		Claim(IssuedAtMillisClaim, exact.UnixMilli())
	if a.cfg.issuer != "" {
		b = b.Issuer(a.cfg.issuer)
	}
	if len(spec.audience) > 0 {
		b = b.Audience(spec.audience)
	}
	if len(spec.scopes) > 0 {
		b = b.Claim("scope", strings.Join(spec.scopes, " "))
	}
	if len(spec.roles) > 0 {
		b = b.Claim("roles", spec.roles)
	}
	for k, v := range spec.claims {
		if registeredClaims[k] || k == "scope" || k == "roles" {
			return "", nil, fmt.Errorf("auth: Issue: claim %q is set by Issue itself", k)
		}
		b = b.Claim(k, v)
	}
	t, err := b.Build()
	if err != nil {
		return "", nil, fmt.Errorf("auth: Issue: %w", err)
	}
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.KeyIDKey, ks.signer.id)
	_ = hdr.Set(jws.TypeKey, TokenType)
	out, err := jwt.Sign(t, jwt.WithKey(ks.signer.alg, ks.signer.sign, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", nil, fmt.Errorf("auth: Issue: %w", err)
	}
	u, err := userFromToken(t)
	if err != nil {
		return "", nil, err
	}
	return string(out), u, nil
}
