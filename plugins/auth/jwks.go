package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"golang.org/x/sync/singleflight"
)

// remoteKeys is a provider's JWKS, fetched on first use, kept for ttl, and
// fetched again when a token names a kid it lacks, at most once per
// minInterval (a flood of tokens with made-up kids cannot make the plugin
// hammer the provider).
//
// No lock is held while fetching: one fetch runs at a time
// (singleflight), callers that lack the key wait for it (or for their own
// context), and callers that have the key keep using the cached set while
// a stale one is fetched again in the background, so a slow provider
// delays only the tokens that need a key it has not fetched yet.
type remoteKeys struct {
	url         string
	client      *http.Client
	ttl         time.Duration
	minInterval time.Duration
	now         func() time.Time // the plugin's clock (WithClock); nil: time.Now

	group singleflight.Group

	mu       sync.Mutex // guards the fields below; never held across a fetch
	set      jwk.Set
	fetched  time.Time
	tried    time.Time
	fetching bool   // a fetch is under way
	gen      uint64 // fetches finished, so a caller joins, never repeats, the one it waited for
}

func (r *remoteKeys) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

func (r *remoteKeys) lookup(ctx context.Context, kid string) (jwk.Key, error) {
	now := r.clock()
	r.mu.Lock()
	k, found := r.find(kid)
	stale := r.set == nil || now.Sub(r.fetched) > r.ttl
	switch {
	case found && (!stale || r.fetching):
		r.mu.Unlock()
		return k, nil
	case !r.fetching && r.set != nil && now.Sub(r.tried) < r.minInterval:
		r.mu.Unlock()
		if found {
			return k, nil
		}
		return nil, fmt.Errorf("%w: %q (JWKS refetch rate-limited)", ErrTokenUnknownKey, clip(kid))
	}
	gen := r.gen
	r.mu.Unlock()
	ch := r.group.DoChan("jwks", func() (any, error) { return nil, r.refresh(ctx, gen) })
	if found {
		// Stale: served from the cache while the fetch runs.
		return k, nil
	}
	select {
	case res := <-ch:
		r.mu.Lock()
		k, found = r.find(kid)
		r.mu.Unlock()
		if found {
			return k, nil
		}
		if res.Err != nil {
			return nil, res.Err
		}
		return nil, fmt.Errorf("%w: %q", ErrTokenUnknownKey, clip(kid))
	case <-ctx.Done():
		return nil, fmt.Errorf("auth: fetch JWKS: %w", ctx.Err())
	}
}

// refresh fetches the set unless a fetch finished since the caller looked
// (generation gen). It runs under singleflight, outside r.mu, and on its
// own deadline: the request that started it may end, or be served from
// the cache, before it does.
func (r *remoteKeys) refresh(ctx context.Context, gen uint64) error {
	r.mu.Lock()
	if r.gen != gen {
		r.mu.Unlock()
		return nil
	}
	r.fetching, r.tried = true, r.clock()
	r.mu.Unlock()
	set, err := r.fetch(context.WithoutCancel(ctx))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fetching = false
	r.gen++
	if err != nil {
		return err
	}
	r.set, r.fetched = set, r.clock()
	return nil
}

func (r *remoteKeys) find(kid string) (jwk.Key, bool) {
	if r.set == nil {
		return nil, false
	}
	if kid == "" {
		if r.set.Len() == 1 {
			return r.set.Key(0)
		}
		return nil, false
	}
	return r.set.LookupKeyID(kid)
}

// fetch downloads and parses the set, within 10 s.
func (r *remoteKeys) fetch(ctx context.Context) (jwk.Set, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, err
	}
	res, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: fetch JWKS: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: fetch JWKS %s: status %d", r.url, res.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("auth: fetch JWKS: %w", err)
	}
	set, err := jwk.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("auth: parse JWKS: %w", err)
	}
	return set, nil
}

// allowedAlgs are the algorithms a provider key of each kind may sign
// with, when its JWK does not name one. Never HMAC: a public key is not a
// secret.
func allowedAlgs(k jwk.Key) []jwa.SignatureAlgorithm {
	switch k.KeyType() {
	case jwa.RSA:
		return []jwa.SignatureAlgorithm{jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512}
	case jwa.EC:
		if ek, ok := k.(jwk.ECDSAPublicKey); ok {
			switch ek.Crv() {
			case jwa.P256:
				return []jwa.SignatureAlgorithm{jwa.ES256}
			case jwa.P384:
				return []jwa.SignatureAlgorithm{jwa.ES384}
			case jwa.P521:
				return []jwa.SignatureAlgorithm{jwa.ES512}
			}
		}
	case jwa.OKP:
		return []jwa.SignatureAlgorithm{jwa.EdDSA}
	}
	return nil
}

// remoteProvider is the jws.KeyProvider for provider tokens: the same
// header checks as for the plugin's own tokens, and the key from the JWKS.
type remoteProvider struct {
	keys *remoteKeys
}

func (p *remoteProvider) FetchKeys(ctx context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
	h := sig.ProtectedHeaders()
	if err := checkHeader(sig); err != nil {
		return err
	}
	k, err := p.keys.lookup(ctx, h.KeyID())
	if err != nil {
		return err
	}
	alg := h.Algorithm()
	// The header's algorithm must suit the key's type (never HMAC: an
	// "oct" key in a published JWKS is no secret, and a JWK's own "alg"
	// does not make it one), and equal the JWK's "alg" when it has one.
	ok := false
	for _, a := range allowedAlgs(k) {
		ok = ok || a == alg
	}
	if ka := k.Algorithm(); ka != nil && ka.String() != "" && ka.String() != alg.String() {
		ok = false
	}
	if !ok {
		return fmt.Errorf("%w: header %s for a %s key", ErrTokenAlgorithm, alg, k.KeyType())
	}
	if u := k.KeyUsage(); u != "" && u != string(jwk.ForSignature) {
		return fmt.Errorf("%w: key use %q", ErrTokenAlgorithm, u)
	}
	sink.Key(alg, k)
	return nil
}

// checkHeader refuses the header parameters Covet never honours.
func checkHeader(sig *jws.Signature) error {
	h := sig.ProtectedHeaders()
	// Compact serialization only (checked before parsing): no unprotected header.
	alg := h.Algorithm()
	if alg == jwa.NoSignature || alg == "" {
		return fmt.Errorf("%w: alg %q", ErrTokenAlgorithm, alg)
	}
	if len(h.Critical()) > 0 {
		return fmt.Errorf("%w: crit %v", ErrTokenHeader, h.Critical())
	}
	if h.JWKSetURL() != "" || h.X509URL() != "" || h.JWK() != nil || h.X509CertChain() != nil {
		return fmt.Errorf("%w: jku, x5u, jwk or x5c", ErrTokenHeader)
	}
	if _, ok := h.Get("b64"); ok {
		return fmt.Errorf("%w: b64", ErrTokenHeader)
	}
	return nil
}

// discovery is the part of an OpenID Provider's metadata Covet uses.
type discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
}

func discover(ctx context.Context, client *http.Client, issuer string) (*discovery, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u := trimSlash(issuer) + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: OIDC discovery: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: OIDC discovery %s: status %d", u, res.StatusCode)
	}
	var d discovery
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&d); err != nil {
		return nil, fmt.Errorf("auth: OIDC discovery: %w", err)
	}
	// OpenID Connect Discovery §4.3: the issuer must be exactly the one asked.
	if d.Issuer != issuer {
		return nil, fmt.Errorf("auth: OIDC discovery: issuer %q, want %q", d.Issuer, issuer)
	}
	if d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" || d.JWKSURI == "" {
		return nil, errors.New("auth: OIDC discovery: endpoints missing")
	}
	return &d, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
