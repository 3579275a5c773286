package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
)

// TestPasswordGrant drives FastAPI's "OAuth2 with Password and Bearer"
// flow: the form gives a token pair, the token opens a guarded route, a
// wrong password or a missing field is an OAuth 2.0 error, the refresh
// grant rotates, and the form is documented as a typed input.
func TestPasswordGrant(t *testing.T) {
	hash, err := auth.HashPassword("secret")
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithRefresh(auth.NewMemoryRefresh(), 0))
	app := covet.New(covet.WithLogger(quietLogger()))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	route := covet.Post(app, "/token", a.PasswordGrant(func(_ context.Context, r *auth.TokenRequest) (string, []auth.TokenOption, error) {
		if r.Username != "johndoe" {
			auth.VerifyDummyPassword(r.Password)
			return "", nil, fmt.Errorf("no user %q: %w", r.Username, auth.ErrBadCredentials)
		}
		if ok, _, err := auth.VerifyPassword(hash, r.Password); err != nil || !ok {
			return "", nil, auth.ErrBadCredentials
		}
		return "johndoe", []auth.TokenOption{auth.WithScopes("items:write")}, nil
	}))
	app.GET("/me", func(c *covet.Context) error {
		u, _ := auth.Principal(c)
		return c.JSON(http.StatusOK, map[string]any{"id": u.ID, "scopes": u.Scopes})
	}).With(auth.Scopes("items:write"))
	client := covettest.New(t, covettest.Start(t, app))

	var pair auth.TokenPair
	client.Post("/token").Form(url.Values{"username": {"johndoe"}, "password": {"secret"}}).Do().
		ExpectStatus(http.StatusOK).ExpectHeader("Cache-Control", "no-store").Decode(&pair)
	if pair.AccessToken == "" || pair.TokenType != "Bearer" || pair.RefreshToken == "" || pair.ExpiresIn <= 0 {
		t.Fatalf("token pair %+v", pair)
	}
	client.Get("/me").Header("Authorization", "Bearer "+pair.AccessToken).Do().
		ExpectStatus(http.StatusOK).ExpectJSON(map[string]any{"id": "johndoe", "scopes": []any{"items:write"}})

	refusals := []struct {
		name, code string
		form       url.Values
	}{
		{"wrong password", "invalid_grant", url.Values{"grant_type": {"password"}, "username": {"johndoe"}, "password": {"nope"}}},
		{"unknown user", "invalid_grant", url.Values{"username": {"mallory"}, "password": {"secret"}}},
		{"no password", "invalid_request", url.Values{"username": {"johndoe"}}},
		{"no refresh token", "invalid_request", url.Values{"grant_type": {"refresh_token"}}},
		{"bad refresh token", "invalid_grant", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x.y"}}},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			res := client.Post("/token").Form(r.form).Do().ExpectStatus(http.StatusBadRequest).ExpectHeader("Cache-Control", "no-store")
			if got := oauthCode(t, res); got != r.code {
				t.Fatalf("error %v, want %s; body %s", got, r.code, res.Body)
			}
		})
	}
	client.Post("/token").Form(url.Values{"grant_type": {"client_credentials"}}).Do().ExpectStatus(http.StatusUnprocessableEntity)

	// The refresh grant rotates the pair; the used refresh token is spent.
	var next auth.TokenPair
	client.Post("/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pair.RefreshToken}}).Do().
		ExpectStatus(http.StatusOK).Decode(&next)
	if next.AccessToken == "" || next.RefreshToken == "" || next.RefreshToken == pair.RefreshToken {
		t.Fatalf("rotated pair %+v", next)
	}
	client.Post("/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pair.RefreshToken}}).Do().
		ExpectStatus(http.StatusBadRequest)

	if info := route.Info(); info.Input == nil {
		t.Fatalf("the token route has no typed input to document: %+v", info)
	}
}

// TestPasswordGrantWithoutRefresh: without WithRefresh the pair has no
// refresh token and the refresh grant is unsupported.
func TestPasswordGrantWithoutRefresh(t *testing.T) {
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)))
	app := covet.New(covet.WithLogger(quietLogger()))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	covet.Post(app, "/token", a.PasswordGrant(func(context.Context, *auth.TokenRequest) (string, []auth.TokenOption, error) {
		return "alice", nil, nil
	}))
	client := covettest.New(t, covettest.Start(t, app))
	var pair auth.TokenPair
	client.Post("/token").Form(url.Values{"username": {"alice"}, "password": {"pw"}}).Do().ExpectStatus(http.StatusOK).Decode(&pair)
	if pair.AccessToken == "" || pair.RefreshToken != "" {
		t.Fatalf("pair %+v", pair)
	}
	res := client.Post("/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"a.b"}}).Do().ExpectStatus(http.StatusBadRequest)
	if got := oauthCode(t, res); got != "unsupported_grant_type" {
		t.Fatalf("error %v", got)
	}
}

// oauthCode returns the OAuth 2.0 error code of a refusal (its "error").
func oauthCode(t *testing.T, res *covettest.Response) string {
	t.Helper()
	var body struct {
		Error string `json:"error"`
	}
	res.Decode(&body)
	return body.Error
}
