package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"golang.org/x/oauth2"
)

// githubAuth is what GitHub's REST API requires of a call: a bearer token
// and its media type. The fake refuses anything else with a 422.
type githubAuth struct {
	Authorization string `header:"Authorization" required:"true" pattern:"^Bearer .+"`
	Accept        string `header:"Accept" required:"true" enum:"application/vnd.github+json"`
}

type githubUserOut struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
}

type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// fakeGitHub is GitHub's API as githubUser uses it, reached through the
// real https://api.github.com URL by intercepting the client.
func fakeGitHub(t *testing.T) (*covettest.Fake, *http.Client) {
	fake := covettest.FakeService(t)
	check := func(in *githubAuth) error {
		if in.Authorization != "Bearer gh-token" {
			return covet.NewError(http.StatusUnauthorized, "Bad credentials")
		}
		return nil
	}
	covet.Get(fake, "/user", func(c *covet.Context, in *githubAuth) (*githubUserOut, error) {
		if err := check(in); err != nil {
			return nil, err
		}
		return &githubUserOut{ID: 583231, Login: "octocat", Name: "The Octocat"}, nil
	})
	covet.Get(fake, "/user/emails", func(c *covet.Context, in *githubAuth) (*[]githubEmail, error) {
		if err := check(in); err != nil {
			return nil, err
		}
		return &[]githubEmail{{Email: "old@example.com", Verified: true}, {Email: "octo@example.com", Primary: true, Verified: true}}, nil
	})
	client := &http.Client{}
	fake.Intercept(client, "api.github.com")
	return fake, client
}

func TestGitHubUser(t *testing.T) {
	fake, client := fakeGitHub(t)
	api := githubUser("https://api.github.com")
	id, err := api(context.Background(), client, &oauth2.Token{AccessToken: "gh-token"})
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "583231" || id.Email != "octo@example.com" || !id.EmailVerified || id.Name != "The Octocat" || id.Claims["login"] != "octocat" {
		t.Fatalf("identity %+v", id)
	}
	fake.ExpectCalls("GET /user", 1).ExpectCalls("GET /user/emails", 1)
	if h := fake.LastCall("GET /user").Host; h != "api.github.com" {
		t.Errorf("host %q", h)
	}
	fake.Reset()
	if _, err := api(context.Background(), client, &oauth2.Token{AccessToken: "wrong"}); err == nil {
		t.Fatal("a refused token gave an identity")
	}
	fake.ExpectCalls("GET /user", 1).ExpectCalls("GET /user/emails", 0) // stops at the refusal
	if s := fake.LastCall("GET /user").Status; s != http.StatusUnauthorized {
		t.Errorf("status %d", s)
	}
}

// GitHub failing or hanging gives an error, never an identity.
func TestGitHubUserFaults(t *testing.T) {
	fake, client := fakeGitHub(t)
	api := githubUser("https://api.github.com")
	tok := &oauth2.Token{AccessToken: "gh-token"}
	fake.FailNext("GET /user", http.StatusBadGateway, 1)
	if _, err := api(context.Background(), client, tok); err == nil || !strings.Contains(err.Error(), "status 502") {
		t.Fatalf("err = %v", err)
	}
	// The e-mail list is optional: an identity without an e-mail.
	fake.FailNext("GET /user/emails", http.StatusInternalServerError, 1)
	id, err := api(context.Background(), client, tok)
	if err != nil || id.Subject != "583231" || id.Email != "" {
		t.Fatalf("%+v %v", id, err)
	}
	fake.Hang("GET /user")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := api(ctx, client, tok); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestMicrosoftIssuer(t *testing.T) {
	single := Microsoft("contoso.onmicrosoft.com", "id", "secret")
	if single.CheckIssuer != nil || single.Issuer != "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0" {
		t.Fatalf("single tenant %+v", single)
	}
	multi := Microsoft("common", "id", "secret")
	tid := "9188040d-6c67-4c5b-b112-36a304b66dad"
	if !multi.CheckIssuer("https://login.microsoftonline.com/"+tid+"/v2.0", map[string]any{"tid": tid}) {
		t.Error("the token's own tenant refused")
	}
	if multi.CheckIssuer("https://login.microsoftonline.com/other/v2.0", map[string]any{"tid": tid}) {
		t.Error("an issuer of another tenant accepted")
	}
	if multi.CheckIssuer("https://login.microsoftonline.com/"+tid+"/v2.0", map[string]any{}) {
		t.Error("a token without tid accepted")
	}
	if g := Google("id", "s"); g.Issuer != "https://accounts.google.com" || g.JWKSURL == "" {
		t.Errorf("google %+v", g)
	}
}

// TestLoginSecretRotation: a login cookie sealed with the previous secret
// opens once WithPreviousLoginSecrets lists it (a login under way during
// the rotation completes), and not without.
func TestLoginSecretRotation(t *testing.T) {
	oldSecret := []byte("login-secret-OLD-login-secret-OL")
	newSecret := []byte("login-secret-NEW-login-secret-NE")
	mk := func(secret []byte, previous ...[]byte) *Login {
		l := &Login{a: &Auth{cfg: defaultConfig()}, p: Provider{Name: "p"}, cfg: loginConfig{secret: secret, previous: previous}}
		if err := l.initCrypto(); err != nil {
			t.Fatal(err)
		}
		return l
	}
	seal := func(l *Login, f flow) string {
		v, err := l.seal(f)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	f := flow{State: "s", Nonce: "n", Verifier: "v", Next: "/", Expires: time.Now().Add(time.Minute).Unix()}
	sealed := seal(mk(oldSecret), f)
	if _, err := mk(newSecret).open(sealed); err == nil {
		t.Fatal("cookie of the previous secret opened without WithPreviousLoginSecrets")
	}
	got, err := mk(newSecret, oldSecret).open(sealed)
	if err != nil || got.State != "s" {
		t.Fatalf("cookie of the previous secret after rotation: %+v, %v", got, err)
	}
	if _, err := mk(oldSecret).open(seal(mk(newSecret, oldSecret), f)); err == nil {
		t.Fatal("the rotated login signs with a previous secret")
	}
}

// TestLoginCookieEncrypted: the login cookie hides the PKCE verifier,
// nonce and state (it is encrypted, not only signed), any altered byte
// makes it fail to open, and a cookie of another provider sealed with the
// same secret does not open.
func TestLoginCookieEncrypted(t *testing.T) {
	secret := []byte("login-secret-login-secret-login-")
	mk := func(name string) *Login {
		l := &Login{a: &Auth{cfg: defaultConfig()}, p: Provider{Name: name}, cfg: loginConfig{secret: secret}}
		if err := l.initCrypto(); err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := mk("p")
	f := flow{State: "state-STATE", Nonce: "nonce-NONCE", Verifier: "verifier-VERIFIER", Next: "/next-NEXT", Expires: time.Now().Add(time.Minute).Unix()}
	v, err := l.seal(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, secretPart := range []string{"STATE", "NONCE", "VERIFIER", "NEXT", `"v"`} {
		if strings.Contains(string(raw), secretPart) || strings.Contains(v, secretPart) {
			t.Fatalf("login cookie shows %s: %q", secretPart, raw)
		}
	}
	if got, err := l.open(v); err != nil || got != f {
		t.Fatalf("open: %+v, %v", got, err)
	}
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		if _, err := l.open(base64.RawURLEncoding.EncodeToString(b)); err == nil {
			t.Fatalf("cookie altered at byte %d opened", i)
		}
	}
	if _, err := mk("other").open(v); err == nil {
		t.Fatal("a cookie of provider p opened for provider other")
	}
	// Expiry follows the plugin's clock (WithClock).
	l.a.cfg.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, err := l.open(v); err == nil {
		t.Fatal("expired cookie opened")
	}
}
