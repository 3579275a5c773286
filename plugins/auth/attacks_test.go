package auth_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/auth"
)

// expectRefused sends token to /me and expects the 401 answer that tells
// nothing: problem+json, a generic detail, and the RFC 6750 challenge.
func expectRefused(t *testing.T, tok string, opts ...auth.Option) {
	t.Helper()
	_, _, c := newApp(t, opts...)
	res := c.Get("/me").Header("Authorization", "Bearer "+tok).Do().
		ExpectStatus(401).
		ExpectHeader("Content-Type", "application/problem+json").
		ExpectHeader("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
	p := res.Problem()
	if p.Detail != "authentication required" {
		t.Errorf("detail %q reveals more than it should", p.Detail)
	}
	for _, leak := range []string{"alg", "kid", "exp", "signature", "crit", "jku", "audience", "issuer"} {
		if strings.Contains(strings.ToLower(res.Text()), leak) {
			t.Errorf("401 body mentions %q: %s", leak, res.Text())
		}
	}
}

func TestAttackAlgNone(t *testing.T) {
	now := time.Now()
	for _, alg := range []string{"none", "None", "NONE"} {
		t.Run(alg, func(t *testing.T) {
			tok := b64(map[string]any{"alg": alg, "kid": "k1"}) + "." + b64(goodClaims(now)) + "."
			expectRefused(t, tok)
			// and with a signature part that is not empty
			expectRefused(t, tok+"AAAA")
		})
	}
}

func TestAttackHS256SignedWithRSAPublicKey(t *testing.T) {
	priv, _ := testKeys(t)
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	now := time.Now()
	rsaKey := auth.NewKey("rsa1", "RS256", priv)
	// The classic confusion: the attacker signs HS256 with the public key's
	// PEM (or DER) bytes as the HMAC secret and names the RSA key.
	for name, secret := range map[string][]byte{"pem": pubPEM, "der": der} {
		t.Run(name, func(t *testing.T) {
			tok := hs256(secret, map[string]any{"alg": "HS256", "kid": "rsa1"}, goodClaims(now))
			expectRefused(t, tok, auth.WithKeys(rsaKey))
			tok = hs256(secret, map[string]any{"alg": "HS256"}, goodClaims(now)) // no kid
			expectRefused(t, tok, auth.WithKeys(rsaKey))
		})
	}
	// A genuine RS256 token with the same key is accepted (the test is not
	// vacuous).
	_, a, c := newApp(t, auth.WithKeys(rsaKey))
	_ = a
	good := rs256(priv, map[string]any{"alg": "RS256", "kid": "rsa1"}, goodClaims(now))
	c.Get("/me").Header("Authorization", "Bearer "+good).Do().ExpectStatus(200)
}

func rs256(k *rsa.PrivateKey, header, claims any) string {
	in := b64(header) + "." + b64(claims)
	h := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
	if err != nil {
		panic(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAttackKidInjection(t *testing.T) {
	now := time.Now()
	for _, kid := range []string{"../../../../dev/null", "/etc/passwd", "' OR '1'='1", "k1' UNION SELECT 'secret' --", "k1\x00", strings.Repeat("k", 5000)} {
		t.Run(kid[:min(len(kid), 20)], func(t *testing.T) {
			h := goodHeader()
			h["kid"] = kid
			expectRefused(t, hs256(secret, h, goodClaims(now)))
			// Signed with an empty key (what /dev/null would give).
			expectRefused(t, hs256([]byte{}, h, goodClaims(now)))
		})
	}
}

func TestAttackKeyURLHeaders(t *testing.T) {
	now := time.Now()
	for name, extra := range map[string]any{
		"jku": "https://attacker.example/jwks.json",
		"x5u": "https://attacker.example/cert.pem",
		"jwk": map[string]any{"kty": "oct", "k": b64(string(secret))},
		"x5c": []string{"MIIB"},
	} {
		t.Run(name, func(t *testing.T) {
			h := goodHeader()
			h[name] = extra
			// Validly signed with the real key: the header alone is refused.
			expectRefused(t, hs256(secret, h, goodClaims(now)))
		})
	}
}

func TestAttackMissingExp(t *testing.T) {
	c := goodClaims(time.Now())
	delete(c, "exp")
	expectRefused(t, hs256(secret, goodHeader(), c))
}

func TestAttackExpiredBeyondLeeway(t *testing.T) {
	now := time.Now()
	c := goodClaims(now)
	c["exp"] = now.Add(-31 * time.Second).Unix()
	expectRefused(t, hs256(secret, goodHeader(), c))
	// Within the 30 s leeway it is still accepted.
	c["exp"] = now.Add(-10 * time.Second).Unix()
	_, _, cl := newApp(t)
	cl.Get("/me").Header("Authorization", "Bearer "+hs256(secret, goodHeader(), c)).Do().ExpectStatus(200)
}

func TestAttackFutureNbf(t *testing.T) {
	now := time.Now()
	c := goodClaims(now)
	c["nbf"] = now.Add(2 * time.Minute).Unix()
	expectRefused(t, hs256(secret, goodHeader(), c))
	c = goodClaims(now)
	c["iat"] = now.Add(2 * time.Minute).Unix()
	expectRefused(t, hs256(secret, goodHeader(), c))
}

func TestAttackWrongIssuer(t *testing.T) {
	c := goodClaims(time.Now())
	c["iss"] = "https://evil.test"
	expectRefused(t, hs256(secret, goodHeader(), c))
	delete(c, "iss")
	expectRefused(t, hs256(secret, goodHeader(), c))
}

func TestAttackWrongAudience(t *testing.T) {
	c := goodClaims(time.Now())
	c["aud"] = "other-api"
	expectRefused(t, hs256(secret, goodHeader(), c))
	c["aud"] = []string{"other-api", "yet-another"}
	expectRefused(t, hs256(secret, goodHeader(), c))
	delete(c, "aud")
	expectRefused(t, hs256(secret, goodHeader(), c))
}

func TestAttackUnknownCrit(t *testing.T) {
	h := goodHeader()
	h["crit"] = []string{"exp-ext"}
	h["exp-ext"] = true
	expectRefused(t, hs256(secret, h, goodClaims(time.Now())))
	h = goodHeader()
	h["b64"] = false
	h["crit"] = []string{"b64"}
	expectRefused(t, hs256(secret, h, goodClaims(time.Now())))
}

func TestAttackOversizedToken(t *testing.T) {
	c := goodClaims(time.Now())
	c["pad"] = strings.Repeat("x", 9000)
	expectRefused(t, hs256(secret, goodHeader(), c))
	// A larger limit lets the same token through.
	_, _, cl := newApp(t, auth.WithMaxTokenSize(64<<10))
	cl.Get("/me").Header("Authorization", "Bearer "+hs256(secret, goodHeader(), c)).Do().ExpectStatus(200)
}

func TestAttackSignatureStripped(t *testing.T) {
	tok := hs256(secret, goodHeader(), goodClaims(time.Now()))
	parts := strings.Split(tok, ".")
	expectRefused(t, parts[0]+"."+parts[1]+".")
	expectRefused(t, parts[0]+"."+parts[1])
}

func TestAttackTamperedPayload(t *testing.T) {
	now := time.Now()
	tok := hs256(secret, goodHeader(), goodClaims(now))
	parts := strings.Split(tok, ".")
	c := goodClaims(now)
	c["sub"] = "admin"
	c["scope"] = "tasks:write admin"
	expectRefused(t, parts[0]+"."+b64(c)+"."+parts[2])
	// A flipped bit in the signature.
	sig := []byte(parts[2])
	sig[3] ^= 1
	expectRefused(t, parts[0]+"."+parts[1]+"."+string(sig))
}

func TestAttackJSONSerialization(t *testing.T) {
	tok := hs256(secret, goodHeader(), goodClaims(time.Now()))
	p := strings.Split(tok, ".")
	flat := `{"protected":"` + p[0] + `","payload":"` + p[1] + `","signature":"` + p[2] + `"}`
	expectRefused(t, flat)
	expectRefused(t, base64.RawURLEncoding.EncodeToString([]byte(flat)))
}

func TestAttackRequiredTokenType(t *testing.T) {
	h := goodHeader()
	h["typ"] = "JWT" // an ID token, say
	expectRefused(t, hs256(secret, h, goodClaims(time.Now())), auth.WithRequireTokenType())
	// Without the option the same token is accepted.
	_, _, c := newApp(t)
	c.Get("/me").Header("Authorization", "Bearer "+hs256(secret, h, goodClaims(time.Now()))).Do().ExpectStatus(200)
}

func TestAttackMissingSubject(t *testing.T) {
	c := goodClaims(time.Now())
	delete(c, "sub")
	expectRefused(t, hs256(secret, goodHeader(), c))
}

func TestAcceptsAGoodToken(t *testing.T) {
	// The baseline every attack above is a variation of.
	_, _, c := newApp(t, auth.WithRequireTokenType())
	var out map[string]any
	c.Get("/me").Header("Authorization", "Bearer "+hs256(secret, goodHeader(), goodClaims(time.Now()))).Do().ExpectStatus(200).Decode(&out)
	if out["id"] != "alice" || out["method"] != "bearer" {
		t.Fatalf("got %v", out)
	}
}
