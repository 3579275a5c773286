package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/auth"
)

// TestVerifyReasons checks that each refusal happens for the reason the
// attack tests name (they only see the 401), through errors.Is.
func TestVerifyReasons(t *testing.T) {
	now := time.Now()
	_, a, _ := newApp(t, auth.WithRequireTokenType())
	with := func(f func(h, c map[string]any)) string {
		h, c := goodHeader(), goodClaims(now)
		f(h, c)
		return hs256(secret, h, c)
	}
	tests := []struct {
		name string
		tok  string
		want error
	}{
		{"none", b64(map[string]any{"alg": "none", "kid": "k1"}) + "." + b64(goodClaims(now)) + ".", auth.ErrTokenMalformed},
		{"none with signature", b64(map[string]any{"alg": "none", "kid": "k1"}) + "." + b64(goodClaims(now)) + ".AAAA", auth.ErrTokenAlgorithm},
		{"alg mismatch", with(func(h, c map[string]any) { h["alg"] = "HS512" }), auth.ErrTokenAlgorithm},
		{"unknown kid", with(func(h, c map[string]any) { h["kid"] = "../../etc/passwd" }), auth.ErrTokenUnknownKey},
		{"jku", with(func(h, c map[string]any) { h["jku"] = "https://x" }), auth.ErrTokenHeader},
		{"crit", with(func(h, c map[string]any) { h["crit"] = []string{"x"}; h["x"] = 1 }), auth.ErrTokenHeader},
		{"typ", with(func(h, c map[string]any) { h["typ"] = "JWT" }), auth.ErrTokenType},
		{"no exp", with(func(h, c map[string]any) { delete(c, "exp") }), auth.ErrTokenSignature},
		{"no sub", with(func(h, c map[string]any) { delete(c, "sub") }), auth.ErrTokenSubject},
		{"too large", with(func(h, c map[string]any) { c["x"] = strings.Repeat("x", 9000) }), auth.ErrTokenTooLarge},
		{"json", `{"payload":"x"}`, auth.ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Verify(context.Background(), tt.tok)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := a.Verify(context.Background(), with(func(h, c map[string]any) {})); err != nil {
		t.Fatalf("good token: %v", err)
	}
}
