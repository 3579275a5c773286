package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// MinHMACSecret is the shortest HMAC secret Install accepts, in bytes (RFC
// 7518 §3.2 asks for a key at least as long as the hash output; 32 bytes is
// the floor for HS256 and is enforced for all three).
const MinHMACSecret = 32

// minRSABits is the smallest RSA modulus accepted (NIST SP 800-131A).
const minRSABits = 2048

// Key is one signing or verification key with its key ID and the one
// algorithm it is used with: a token whose header names another algorithm
// is refused (an RSA public key never verifies an HS256 token). Build one
// with HMAC, ParseKey, KeyFile or KeyEnv; a Key that could not be built
// keeps its error, and App.Install reports it.
type Key struct {
	id     string
	alg    jwa.SignatureAlgorithm
	sign   any     // private key or secret; nil for a verification-only key
	verify any     // public key or secret
	public jwk.Key // the public JWK served at the JWKS endpoint; nil for HMAC
	err    error
}

// ID returns the key ID (the tokens' kid header).
func (k Key) ID() string { return k.id }

// Algorithm returns the key's algorithm ("HS256", "ES256", ...).
func (k Key) Algorithm() string { return k.alg.String() }

// Err returns the error met building the key, or nil.
func (k Key) Err() error { return k.err }

// CanSign reports whether the key holds a private key or secret.
func (k Key) CanSign() bool { return k.sign != nil }

// HMAC returns a shared-secret key for HS256, HS384 or HS512. Secrets
// shorter than MinHMACSecret bytes are refused when the plugin is installed.
func HMAC(kid, alg string, secret []byte) Key {
	k := Key{id: kid, alg: jwa.SignatureAlgorithm(alg)}
	switch k.alg {
	case jwa.HS256, jwa.HS384, jwa.HS512:
	default:
		k.err = fmt.Errorf("auth: key %q: HMAC algorithm must be HS256, HS384 or HS512, not %q", kid, alg)
		return k
	}
	if len(secret) < MinHMACSecret {
		k.err = fmt.Errorf("auth: key %q: HMAC secret of %d bytes; at least %d are required", kid, len(secret), MinHMACSecret)
		return k
	}
	s := slices.Clone(secret)
	k.sign, k.verify = s, s
	return k
}

// ParseKey returns a key for an asymmetric algorithm (RS256, RS384, RS512,
// PS256, PS384, PS512, ES256, ES384, ES512, EdDSA) from PEM (PKCS #8,
// PKCS #1, SEC 1 private keys, PKIX public keys, certificates) or from a
// JWK in JSON. A private key signs and verifies; a public key only
// verifies (a key another service signs with). For the HMAC algorithms
// data is the secret itself, as with HMAC.
func ParseKey(kid, alg string, data []byte) Key {
	a := jwa.SignatureAlgorithm(alg)
	switch a {
	case jwa.HS256, jwa.HS384, jwa.HS512:
		return HMAC(kid, alg, data)
	}
	k := Key{id: kid, alg: a}
	fail := func(err error) Key { k.err = fmt.Errorf("auth: key %q: %w", kid, err); return k }
	trimmed := strings.TrimSpace(string(data))
	var parsed jwk.Key
	var err error
	if strings.HasPrefix(trimmed, "{") {
		parsed, err = jwk.ParseKey([]byte(trimmed))
	} else {
		parsed, err = jwk.ParseKey([]byte(trimmed), jwk.WithPEM(true))
	}
	if err != nil {
		return fail(fmt.Errorf("not a PEM or JWK key: %w", err))
	}
	var raw any
	if err := parsed.Raw(&raw); err != nil {
		return fail(err)
	}
	return fromRaw(k, raw)
}

// NewKey returns a key from a Go key value: *rsa.PrivateKey,
// *ecdsa.PrivateKey, ed25519.PrivateKey (signing) or their public halves
// (verification only), or a []byte secret for the HMAC algorithms.
func NewKey(kid, alg string, key any) Key {
	if b, ok := key.([]byte); ok {
		return HMAC(kid, alg, b)
	}
	return fromRaw(Key{id: kid, alg: jwa.SignatureAlgorithm(alg)}, key)
}

func fromRaw(k Key, raw any) Key {
	fail := func(format string, args ...any) Key {
		k.err = fmt.Errorf("auth: key %q: "+format, append([]any{k.id}, args...)...)
		return k
	}
	var pub any
	switch key := raw.(type) {
	case *rsa.PrivateKey:
		k.sign, pub = key, &key.PublicKey
	case *rsa.PublicKey:
		pub = key
	case *ecdsa.PrivateKey:
		k.sign, pub = key, &key.PublicKey
	case *ecdsa.PublicKey:
		pub = key
	case ed25519.PrivateKey:
		k.sign, pub = key, key.Public()
	case ed25519.PublicKey:
		pub = key
	default:
		return fail("unsupported key type %T", raw)
	}
	switch k.alg {
	case jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512:
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fail("algorithm %s needs an RSA key, not %T", k.alg, pub)
		}
		if rk.N.BitLen() < minRSABits {
			return fail("RSA key of %d bits; at least %d are required", rk.N.BitLen(), minRSABits)
		}
	case jwa.ES256, jwa.ES384, jwa.ES512:
		ek, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fail("algorithm %s needs an ECDSA key, not %T", k.alg, pub)
		}
		want := map[jwa.SignatureAlgorithm]elliptic.Curve{jwa.ES256: elliptic.P256(), jwa.ES384: elliptic.P384(), jwa.ES512: elliptic.P521()}[k.alg]
		if ek.Curve != want {
			return fail("algorithm %s needs curve %s, not %s", k.alg, want.Params().Name, ek.Curve.Params().Name)
		}
	case jwa.EdDSA:
		if _, ok := pub.(ed25519.PublicKey); !ok {
			return fail("algorithm EdDSA needs an Ed25519 key, not %T", pub)
		}
	default:
		return fail("unsupported algorithm %q", k.alg)
	}
	k.verify = pub
	j, err := jwk.FromRaw(pub)
	if err != nil {
		return fail("%v", err)
	}
	_ = j.Set(jwk.KeyIDKey, k.id)
	_ = j.Set(jwk.AlgorithmKey, k.alg)
	_ = j.Set(jwk.KeyUsageKey, jwk.ForSignature)
	k.public = j
	return k
}

// KeyFile returns a key read from a file holding PEM, a JWK, or (for the
// HMAC algorithms) the secret itself.
func KeyFile(kid, alg, path string) Key {
	b, err := os.ReadFile(path) // #nosec G304 -- KeyFile reads the key file the app names in its configuration
	if err != nil {
		return Key{id: kid, alg: jwa.SignatureAlgorithm(alg), err: fmt.Errorf("auth: key %q: %w", kid, err)}
	}
	return ParseKey(kid, alg, b)
}

// KeyEnv returns a key read from an environment variable holding PEM, a
// JWK, or (for the HMAC algorithms) the secret. A value starting with
// "base64:" is decoded first (standard or URL alphabet, padded or not), so
// binary secrets fit in an environment.
func KeyEnv(kid, alg, name string) Key {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return Key{id: kid, alg: jwa.SignatureAlgorithm(alg), err: fmt.Errorf("auth: key %q: environment variable %s is not set", kid, name)}
	}
	b := []byte(v)
	if rest, ok := strings.CutPrefix(v, "base64:"); ok {
		var err error
		if b, err = decodeBase64(rest); err != nil {
			return Key{id: kid, alg: jwa.SignatureAlgorithm(alg), err: fmt.Errorf("auth: key %q: %s: %w", kid, name, err)}
		}
	}
	return ParseKey(kid, alg, b)
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// keySet is an immutable snapshot of the keys: one signs, all verify.
type keySet struct {
	signer *Key
	byID   map[string]*Key
	all    []*Key
	jwks   []byte // the JWKS document
}

func newKeySet(signer string, keys []Key) (*keySet, error) {
	ks := &keySet{byID: make(map[string]*Key, len(keys))}
	var errs []error
	for i := range keys {
		k := keys[i]
		if k.err != nil {
			errs = append(errs, k.err)
			continue
		}
		if k.id == "" {
			errs = append(errs, errors.New("auth: a key has no key ID"))
			continue
		}
		if _, dup := ks.byID[k.id]; dup {
			errs = append(errs, fmt.Errorf("auth: two keys have the key ID %q", k.id))
			continue
		}
		kp := &k
		ks.byID[k.id] = kp
		ks.all = append(ks.all, kp)
		if k.id == signer {
			ks.signer = kp
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if signer != "" && (ks.signer == nil || !ks.signer.CanSign()) {
		return nil, fmt.Errorf("auth: signing key %q is not a key with a private part or secret", signer)
	}
	pubs := make([]json.RawMessage, 0, len(ks.all))
	for _, k := range ks.all {
		if k.public == nil {
			continue
		}
		b, err := json.Marshal(k.public)
		if err != nil {
			return nil, fmt.Errorf("auth: key %q: %w", k.id, err)
		}
		pubs = append(pubs, b)
	}
	doc, err := json.Marshal(map[string]any{"keys": pubs})
	if err != nil {
		return nil, err
	}
	ks.jwks = doc
	return ks, nil
}

// KeyRing holds the plugin's keys and rotates them while the app serves:
// Rotate makes a new key the signing key and keeps the old ones verifying
// until Retire removes them (once the tokens they signed have expired). It
// is safe for concurrent use; readers never wait.
type KeyRing struct {
	mu       sync.Mutex // serializes writers
	cur      atomic.Pointer[keySet]
	onRetire func()
}

func newKeyRing(signer string, keys []Key) (*KeyRing, error) {
	ks, err := newKeySet(signer, keys)
	if err != nil {
		return nil, err
	}
	r := &KeyRing{}
	r.cur.Store(ks)
	return r, nil
}

func (r *KeyRing) load() *keySet { return r.cur.Load() }

// Rotate adds k and makes it the signing key; the previous keys still
// verify.
func (r *KeyRing) Rotate(k Key) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.load()
	keys := make([]Key, 0, len(old.all)+1)
	for _, o := range old.all {
		keys = append(keys, *o)
	}
	keys = append(keys, k)
	ks, err := newKeySet(k.id, keys)
	if err != nil {
		return err
	}
	r.cur.Store(ks)
	return nil
}

// Retire removes a key: tokens it signed no longer verify. The signing key
// cannot be retired (Rotate first).
func (r *KeyRing) Retire(kid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.load()
	if old.signer != nil && old.signer.id == kid {
		return fmt.Errorf("auth: key %q signs tokens; rotate to another key before retiring it", kid)
	}
	if _, ok := old.byID[kid]; !ok {
		return fmt.Errorf("auth: no key %q", kid)
	}
	keys := make([]Key, 0, len(old.all))
	for _, o := range old.all {
		if o.id != kid {
			keys = append(keys, *o)
		}
	}
	signer := ""
	if old.signer != nil {
		signer = old.signer.id
	}
	ks, err := newKeySet(signer, keys)
	if err != nil {
		return err
	}
	r.cur.Store(ks)
	if r.onRetire != nil {
		r.onRetire()
	}
	return nil
}

// IDs returns the key IDs, the signing key's first.
func (r *KeyRing) IDs() []string {
	ks := r.load()
	out := make([]string, 0, len(ks.all))
	if ks.signer != nil {
		out = append(out, ks.signer.id)
	}
	for _, k := range ks.all {
		if ks.signer == nil || k.id != ks.signer.id {
			out = append(out, k.id)
		}
	}
	return out
}

// JWKS returns the JSON Web Key Set of the public keys (RFC 7517), as
// served at /.well-known/jwks.json. HMAC secrets are never in it.
func (r *KeyRing) JWKS() []byte { return slices.Clone(r.load().jwks) }
