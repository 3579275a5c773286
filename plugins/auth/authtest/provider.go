package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Provider is a fake OpenID Connect provider on a loopback listener. Its
// authorization endpoint logs in Subject at once (no page) and its token
// endpoint checks what a real provider checks: the client's credentials,
// single-use codes, the redirect_uri of the authorization request, and the
// PKCE S256 verifier. It signs ID tokens with an ES256 key it serves at its
// JWKS endpoint.
//
// The exported fields change what it does; set them before the flow they
// affect (they are read under a lock).
type Provider struct {
	// ClientID and ClientSecret are the one client it knows.
	ClientID, ClientSecret string
	// RedirectURIs are the client's registered callbacks; empty allows any.
	RedirectURIs []string

	mu sync.Mutex
	// Subject, Email and Name are who logs in.
	Subject, Email, Name string
	// Audience overrides the ID token's aud (default ClientID).
	Audience string
	// Issuer overrides the ID token's iss (default the provider's URL).
	Issuer string
	// Nonce overrides the ID token's nonce (default the authorization
	// request's).
	Nonce string
	// TTL is the ID token's lifetime (default 5 minutes; negative: expired).
	TTL time.Duration
	// KeyID overrides the ID token's kid.
	KeyID string
	// ReusableCodes makes the token endpoint accept a code more than once,
	// as providers with a reuse grace window do: the app's own one-time
	// check of the state is then all that refuses a replayed callback.
	ReusableCodes bool

	srv   *httptest.Server
	key   *ecdsa.PrivateKey
	kid   string
	codes map[string]*grant
	// Requests records the authorization requests' query parameters.
	requests []url.Values
	jwksHits int
}

type grant struct {
	redirect, challenge, method, nonce string
	used                               bool
}

// NewProvider starts a provider, closed when the test ends.
func NewProvider(t testing.TB) *Provider {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: "covet-client", ClientSecret: "covet-secret", Subject: "user-1", Email: "user1@example.com", Name: "User One", key: key, kid: "fake-1", codes: map[string]*grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// URL returns the provider's issuer URL.
func (p *Provider) URL() string { return p.srv.URL }

// Set changes the provider's fields under its lock.
func (p *Provider) Set(f func(p *Provider)) { p.mu.Lock(); f(p); p.mu.Unlock() }

// AuthorizationRequests returns the query parameters of every authorization
// request received.
func (p *Provider) AuthorizationRequests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// JWKSFetches returns how many times the JWKS was fetched.
func (p *Provider) JWKSFetches() int { p.mu.Lock(); defer p.mu.Unlock(); return p.jwksHits }

// RotateKey replaces the signing key (and its kid): clients must refetch
// the JWKS.
func (p *Provider) RotateKey(kid string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.mu.Lock()
	p.key, p.kid = key, kid
	p.mu.Unlock()
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.URL(),
		"authorization_endpoint":                p.URL() + "/authorize",
		"token_endpoint":                        p.URL() + "/token",
		"jwks_uri":                              p.URL() + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	p.jwksHits++
	k, _ := jwk.FromRaw(&p.key.PublicKey)
	_ = k.Set(jwk.KeyIDKey, p.kid)
	_ = k.Set(jwk.AlgorithmKey, jwa.ES256)
	p.mu.Unlock()
	set := jwk.NewSet()
	_ = set.AddKey(k)
	writeJSON(w, http.StatusOK, set)
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.requests = append(p.requests, q)
	p.mu.Unlock()
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "bad client or response type", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if len(p.RedirectURIs) > 0 && !slices.Contains(p.RedirectURIs, redirect) {
		http.Error(w, "redirect_uri not registered", http.StatusBadRequest)
		return
	}
	g := &grant{redirect: redirect, challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), nonce: q.Get("nonce")}
	if g.challenge != "" && g.method != "S256" {
		http.Error(w, "only S256", http.StatusBadRequest)
		return
	}
	code := randomString()
	p.mu.Lock()
	p.codes[code] = g
	p.mu.Unlock()
	u, _ := url.Parse(redirect)
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound) // #nosec G710 -- the test OpenID provider redirects to the redirect_uri of the test client, as an authorization endpoint does
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthErr(w, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, 0, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthErr(w, "unsupported_grant_type")
		return
	}
	p.mu.Lock()
	g := p.codes[r.PostForm.Get("code")]
	replay := g != nil && g.used && !p.ReusableCodes
	if g != nil {
		g.used = true
	}
	p.mu.Unlock()
	if g == nil || replay {
		oauthErr(w, "invalid_grant") // unknown or replayed code
		return
	}
	if r.PostForm.Get("redirect_uri") != g.redirect {
		oauthErr(w, "invalid_grant")
		return
	}
	if g.challenge != "" {
		v := r.PostForm.Get("code_verifier")
		sum := sha256.Sum256([]byte(v))
		if v == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			oauthErr(w, "invalid_grant")
			return
		}
	}
	idt, err := p.idToken(g.nonce)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": randomString(), "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
}

// IDToken signs an ID token as the token endpoint would, for tests that
// hand one to the app directly.
func (p *Provider) IDToken(nonce string) (string, error) { return p.idToken(nonce) }

func (p *Provider) idToken(nonce string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	aud, iss, ttl, kid := p.ClientID, p.URL(), 5*time.Minute, p.kid
	if p.Audience != "" {
		aud = p.Audience
	}
	if p.Issuer != "" {
		iss = p.Issuer
	}
	if p.Nonce != "" {
		nonce = p.Nonce
	}
	if p.TTL != 0 {
		ttl = p.TTL
	}
	if p.KeyID != "" {
		kid = p.KeyID
	}
	now := time.Now()
	b := jwt.NewBuilder().Issuer(iss).Subject(p.Subject).Audience([]string{aud}).IssuedAt(now).Expiration(now.Add(ttl)).
		Claim("email", p.Email).Claim("email_verified", true).Claim("name", p.Name)
	if nonce != "" {
		b = b.Claim("nonce", nonce)
	}
	t, err := b.Build()
	if err != nil {
		return "", err
	}
	h := jws.NewHeaders()
	_ = h.Set(jws.KeyIDKey, kid)
	out, err := jwt.Sign(t, jwt.WithKey(jwa.ES256, p.key, jws.WithProtectedHeaders(h)))
	return string(out), err
}

func oauthErr(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if status != 0 {
		w.WriteHeader(status)
	}
	_ = json.NewEncoder(w).Encode(v)
}

func randomString() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
