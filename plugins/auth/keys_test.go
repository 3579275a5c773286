package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
)

func pemOf(t *testing.T, key any) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestKeyAlgorithms(t *testing.T) {
	rk, ek := testKeys(t)
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("COVET_TEST_HS", "base64:"+b64(string(secret)))
	t.Setenv("COVET_TEST_ES", string(pemOf(t, ek)))
	tests := []struct {
		name string
		key  auth.Key
	}{
		{"HS256", auth.HMAC("h1", "HS256", secret)},
		{"HS384", auth.HMAC("h2", "HS384", append(secret, secret...))},
		{"HS512 env", auth.KeyEnv("h3", "HS512", "COVET_TEST_HS")},
		{"RS256 file", auth.KeyFile("r1", "RS256", write("rsa.pem", pemOf(t, rk)))},
		{"PS256", auth.NewKey("r2", "PS256", rk)},
		{"ES256 env", auth.KeyEnv("e1", "ES256", "COVET_TEST_ES")},
		{"EdDSA", auth.ParseKey("d1", "EdDSA", pemOf(t, edk))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.key.Err() != nil {
				t.Fatal(tt.key.Err())
			}
			a := auth.New(auth.WithKeys(tt.key))
			if err := covet.New().Install(a); err != nil {
				t.Fatal(err)
			}
			tok, err := a.Issue("alice")
			if err != nil {
				t.Fatal(err)
			}
			u, err := a.Verify(context.Background(), tok)
			if err != nil || u.ID != "alice" {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

func TestKeyMismatchesRefused(t *testing.T) {
	rk, ek := testKeys(t)
	for name, k := range map[string]auth.Key{
		"ES256 with RSA":   auth.NewKey("x", "ES256", rk),
		"RS256 with ECDSA": auth.NewKey("x", "RS256", ek),
		"ES384 with P-256": auth.NewKey("x", "ES384", ek),
		"HS256 as RS":      auth.HMAC("x", "RS256", secret),
		"unknown alg":      auth.NewKey("x", "XX256", rk),
		"not PEM":          auth.ParseKey("x", "RS256", []byte("hello")),
		"missing env":      auth.KeyEnv("x", "HS256", "COVET_TEST_NOT_SET"),
	} {
		if k.Err() == nil {
			t.Errorf("%s: accepted", name)
		}
		if err := covet.New().Install(auth.New(auth.WithKeys(k))); err == nil {
			t.Errorf("%s: installed", name)
		}
	}
}

func TestKeyRotationAndJWKS(t *testing.T) {
	rk, ek := testKeys(t)
	a := auth.New(auth.WithKeys(auth.NewKey("old", "RS256", rk)))
	app := covet.New()
	app.GET("/me", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required())
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	c := covettest.New(t, app)
	oldTok, _ := a.Issue("alice")
	if err := a.Keys().Rotate(auth.NewKey("new", "ES256", ek)); err != nil {
		t.Fatal(err)
	}
	newTok, _ := a.Issue("alice")
	if ids := a.Keys().IDs(); strings.Join(ids, ",") != "new,old" {
		t.Fatalf("ids %v", ids)
	}
	// Both verify while the old key is kept.
	c.Get("/me").Header("Authorization", "Bearer "+oldTok).Do().ExpectStatus(200)
	c.Get("/me").Header("Authorization", "Bearer "+newTok).Do().ExpectStatus(200)
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	c.Get("/.well-known/jwks.json").Do().ExpectStatus(200).ExpectHeader("Content-Type", "application/jwk-set+json").Decode(&jwks)
	if len(jwks.Keys) != 2 {
		t.Fatalf("jwks %v", jwks)
	}
	for _, k := range jwks.Keys {
		if _, private := k["d"]; private {
			t.Fatal("private key material in the JWKS")
		}
	}
	if err := a.Keys().Retire("new"); err == nil {
		t.Fatal("retired the signing key")
	}
	if err := a.Keys().Retire("old"); err != nil {
		t.Fatal(err)
	}
	// The old token was verified (and cached) before: retiring clears the cache.
	c.Get("/me").Header("Authorization", "Bearer "+oldTok).Do().ExpectStatus(401)
	c.Get("/me").Header("Authorization", "Bearer "+newTok).Do().ExpectStatus(200)
	if _, err := a.Verify(context.Background(), oldTok); !errors.Is(err, auth.ErrTokenUnknownKey) {
		t.Fatalf("old token: %v", err)
	}
}

func TestJWKSHasNoSecrets(t *testing.T) {
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)))
	if err := covet.New().Install(a); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(a.Keys().JWKS(), &doc); err != nil || string(doc["keys"]) != "[]" {
		t.Fatalf("jwks %s (%v)", a.Keys().JWKS(), err)
	}
}
