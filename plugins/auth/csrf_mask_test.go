package auth_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authtest"
)

// TestCSRFTokenMasked (BREACH): every render of the CSRF token is a
// different string (the token XOR a fresh random pad, with the pad), so a
// compressed page that also reflects input does not leak a fixed secret;
// each render verifies in the header and in the form field, a tampered
// or malformed one is a 403 problem, never a panic, and the unmasked HMAC
// (what versions before masking rendered) is refused.
func TestCSRFTokenMasked(t *testing.T) {
	csrfSecret := []byte("csrf-secret-csrf-secret-csrf-sec")
	app, a, _ := newApp(t, auth.WithCookie("at"), auth.WithInsecureCookie(), auth.WithCSRF(csrfSecret))
	app.GET("/form", func(c *covet.Context) error {
		return c.Text(200, auth.CSRFToken(c)+" "+auth.CSRFToken(c))
	}).With(auth.Required())
	app.POST("/form", func(c *covet.Context) error { return c.Text(200, "saved") }).With(auth.Required())
	srv := covettest.NewServer(t, app)
	srv.SetCookie(&http.Cookie{Name: "at", Value: authtest.Token(t, a, "alice")})

	first := strings.Fields(srv.Get("/form").Do().ExpectStatus(200).Text())
	second := strings.Fields(srv.Get("/form").Do().ExpectStatus(200).Text())
	toks := append(first, second...)
	seen := map[string]bool{}
	for _, tok := range toks {
		if seen[tok] {
			t.Fatalf("token %q rendered twice: %q", tok, toks)
		}
		seen[tok] = true
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 64 {
			t.Fatalf("token %q: %d bytes, %v; want base64url of 64 (pad, masked HMAC)", tok, len(raw), err)
		}
		srv.Post("/form").Header(auth.CSRFHeader, tok).Do().ExpectStatus(200).ExpectBody("saved")
		srv.Post("/form").Form(map[string][]string{auth.CSRFFormField: {tok}}).Do().ExpectStatus(200).ExpectBody("saved")
	}

	raw, _ := base64.RawURLEncoding.DecodeString(toks[0])
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	// The unmasked token: pad XOR masked half.
	unmasked := make([]byte, 32)
	for i := range unmasked {
		unmasked[i] = raw[i] ^ raw[32+i]
	}
	bad := map[string]string{
		"pad bit flipped":    flip(0),
		"masked bit flipped": flip(63),
		"unmasked (legacy)":  base64.RawURLEncoding.EncodeToString(unmasked),
		"truncated":          toks[0][:len(toks[0])-1],
		"too long":           toks[0] + "AA",
		"not base64":         strings.Repeat("!", len(toks[0])),
		"std padding":        base64.URLEncoding.EncodeToString(raw),
		"empty pad":          base64.RawURLEncoding.EncodeToString(raw[32:]),
		"one byte":           "A",
		"huge":               strings.Repeat("A", 1<<16),
	}
	for name, tok := range bad {
		t.Run(name, func(t *testing.T) {
			for _, r := range []*covettest.Request{
				srv.Post("/form").Header(auth.CSRFHeader, tok),
				srv.Post("/form").Form(map[string][]string{auth.CSRFFormField: {tok}}),
			} {
				r.Do().ExpectStatus(403).
					ExpectHeader("Content-Type", "application/problem+json").
					ExpectBodyContains(auth.ProblemCSRF)
			}
		})
	}
}

// BenchmarkCSRFToken renders a token (GET) and verifies it (POST with the
// header), through the app, for the cost of masking:
//
//	scripts/instr-per-op.sh ./plugins/auth 'CSRFToken$' 5000
func BenchmarkCSRFToken(b *testing.B) {
	app, a, _ := newApp(b, auth.WithCookie("at"), auth.WithInsecureCookie(), auth.WithCSRF([]byte("csrf-secret-csrf-secret-csrf-sec")))
	app.GET("/form", func(c *covet.Context) error { return c.Text(200, auth.CSRFToken(c)) })
	app.POST("/form", func(c *covet.Context) error { return c.NoContent(204) }).With(auth.Required())
	tok := authtest.Token(b, a, "alice")
	csrfCookie := &http.Cookie{Name: "csrf", Value: "Zm9yLXRoZS1iZW5jaG1hcmstb25seS0xMjM0"}
	b.ReportAllocs()
	for b.Loop() {
		get := httptest.NewRequest(http.MethodGet, "/form", nil)
		get.AddCookie(csrfCookie)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, get)
		post := httptest.NewRequest(http.MethodPost, "/form", nil)
		post.AddCookie(csrfCookie)
		post.AddCookie(&http.Cookie{Name: "at", Value: tok})
		post.Header.Set(auth.CSRFHeader, rec.Body.String())
		rec = httptest.NewRecorder()
		app.ServeHTTP(rec, post)
		if rec.Code != 204 {
			b.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
	}
}
