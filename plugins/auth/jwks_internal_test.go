package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// TestAttackProviderJWKSSymmetricKey: a provider JWKS that publishes an
// "oct" key with "alg": "HS256" (a misconfigured or hijacked key set) must
// not let anyone who reads the JWKS sign ID tokens: HMAC is refused for
// provider keys whatever the JWK's alg says, and a JWK's alg must match the
// header's.
func TestAttackProviderJWKSSymmetricKey(t *testing.T) {
	secret := []byte("published-in-the-jwks-published-in-the-jwks")
	oct, err := jwk.FromRaw(secret)
	if err != nil {
		t.Fatal(err)
	}
	_ = oct.Set(jwk.KeyIDKey, "oct")
	_ = oct.Set(jwk.AlgorithmKey, jwa.HS256)

	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPub, err := jwk.FromRaw(&ecPriv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_ = ecPub.Set(jwk.KeyIDKey, "ec")
	_ = ecPub.Set(jwk.AlgorithmKey, jwa.ES384) // the JWK says ES384; tokens say ES256

	set := jwk.NewSet()
	_ = set.AddKey(oct)
	_ = set.AddKey(ecPub)
	p := &remoteProvider{keys: &remoteKeys{set: set, fetched: time.Now(), ttl: time.Hour}}

	sign := func(alg jwa.SignatureAlgorithm, key any, kid string) []byte {
		h := jws.NewHeaders()
		_ = h.Set(jws.KeyIDKey, kid)
		b, err := jws.Sign([]byte(`{"sub":"mallory"}`), jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if _, err := jws.Verify(sign(jwa.HS256, secret, "oct"), jws.WithKeyProvider(p)); !errors.Is(err, ErrTokenAlgorithm) {
		t.Fatalf("an HS256 token with an oct key from the provider's JWKS: %v, want ErrTokenAlgorithm", err)
	}
	if _, err := jws.Verify(sign(jwa.ES256, ecPriv, "ec"), jws.WithKeyProvider(p)); err == nil {
		t.Fatal("an ES256 token verified with a JWK whose alg is ES384")
	}
	_ = ecPub.Remove(jwk.AlgorithmKey)
	if _, err := jws.Verify(sign(jwa.ES256, ecPriv, "ec"), jws.WithKeyProvider(p)); err != nil {
		t.Fatalf("an ES256 token with a P-256 key without alg: %v", err)
	}
}
