package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/oauth2"
)

func TestGitHubUser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gh-token" {
			w.WriteHeader(401)
			return
		}
		switch r.URL.Path {
		case "/user":
			_ = json.NewEncoder(w).Encode(map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat"})
		case "/user/emails":
			_ = json.NewEncoder(w).Encode([]map[string]any{
				{"email": "old@example.com", "primary": false, "verified": true},
				{"email": "octo@example.com", "primary": true, "verified": true},
			})
		}
	}))
	defer srv.Close()
	id, err := githubUser(srv.URL)(context.Background(), srv.Client(), &oauth2.Token{AccessToken: "gh-token"})
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "583231" || id.Email != "octo@example.com" || !id.EmailVerified || id.Name != "The Octocat" || id.Claims["login"] != "octocat" {
		t.Fatalf("identity %+v", id)
	}
	if _, err := githubUser(srv.URL)(context.Background(), srv.Client(), &oauth2.Token{AccessToken: "wrong"}); err == nil {
		t.Fatal("a refused token gave an identity")
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
