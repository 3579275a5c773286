package main

import (
	"net/url"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
	"testing"

	"github.com/covetgo/covet/core/covettest"
)

// signUp creates a local account and returns it with an access token, as
// "Bearer ..." for an Authorization header.
func signUp(t *testing.T, cl *covettest.Client, name, email string) (User, string) {
	t.Helper()
	var u User
	cl.Post("/api/v1/users").JSON(map[string]any{"name": name, "email": email, "password": "password-of-" + name}).Do().
		ExpectStatus(201).Decode(&u)
	return u, "Bearer " + token(t, cl, email, "password-of-"+name).AccessToken
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

// token runs the token endpoint's password grant.
func token(t *testing.T, cl *covettest.Client, email, password string) tokenAnswer {
	t.Helper()
	var tok tokenAnswer
	cl.Post("/api/v1/auth/token").Form(url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}}).Do().
		ExpectStatus(200).ExpectHeader("Cache-Control", "no-store").Decode(&tok)
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token answer %+v", tok)
	}
	return tok
}

// findAuth returns the app's auth plugin.
func findAuth(t *testing.T, app *covet.App) *auth.Auth {
	t.Helper()
	a, ok := app.Plugin("auth").(*auth.Auth)
	if !ok {
		t.Fatal("no auth plugin")
	}
	return a
}
