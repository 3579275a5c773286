package openapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
	"github.com/covetgo/covet/plugins/openapi"
	"github.com/covetgo/covet/tools/browsertest"
)

// TestBrowserOAuth2AuthorizationCode: in Chromium, Swagger UI's Authorize
// button completes an OAuth2 authorization-code flow against a provider on
// another origin: the popup goes to the provider's authorize endpoint,
// comes back to the plugin's oauth2-redirect.html with the code, Swagger UI
// exchanges the code at the token endpoint (connect-src allows its origin)
// and then sends the token with "Try it out". The app runs behind
// middleware.SecureHeaders (COOP same-origin by default), as real apps do.
func TestBrowserOAuth2AuthorizationCode(t *testing.T) {
	b := browsertest.Open(t, browsertest.Chromium, browsertest.WithTimeout(90*time.Second))

	var mu sync.Mutex
	var redirectURIs []string
	var gotAuth string
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/authorize":
			q := r.URL.Query()
			mu.Lock()
			redirectURIs = append(redirectURIs, q.Get("redirect_uri"))
			mu.Unlock()
			if q.Get("response_type") != "code" || q.Get("client_id") != "swagger" {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			http.Redirect(w, r, q.Get("redirect_uri")+"?code=the-code&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
		case "/token":
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Requested-With")
			w.Header().Set("Access-Control-Allow-Methods", "POST")
			if r.Method == http.MethodOptions {
				return
			}
			_ = r.ParseForm()
			mu.Lock()
			redirectURIs = append(redirectURIs, r.PostForm.Get("redirect_uri"))
			mu.Unlock()
			if r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("code") != "the-code" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":"invalid_grant"}`))
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"access_token": "token-from-provider", "token_type": "Bearer", "expires_in": 3600})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(provider.Close)

	app := covet.New()
	app.Use(middleware.SecureHeaders())
	app.SecurityScheme("oauth", covet.SecurityScheme{Type: "oauth2", Flows: &covet.OAuthFlows{
		AuthorizationCode: &covet.OAuthFlow{AuthorizationURL: provider.URL + "/authorize", TokenURL: provider.URL + "/token",
			Scopes: map[string]string{"read": "Read"}},
	}})
	app.GET("/api/whoami", func(c *covet.Context) error {
		mu.Lock()
		gotAuth = c.Request().Header.Get("Authorization")
		mu.Unlock()
		return c.JSON(http.StatusOK, map[string]string{"ok": "yes"})
	}).Summary("Who am I").Security("oauth", "read")
	if err := app.Install(openapi.New(openapi.WithInfo("OAuth2 test", "1.0.0"))); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)

	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	wait := func(what, js string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var ok bool
			if err := b.Eval(js, &ok); err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				var page string
				_ = b.Eval(`document.body.innerText`, &page)
				t.Fatalf("%s: %s did not hold; page: %.2000s", what, js, page)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	must("open", b.Open(srv.URL+"/docs"))
	wait("Swagger UI", `!!document.querySelector(".btn.authorize")`)
	must("authorize", b.Click(".btn.authorize"))
	wait("the flow's form", `!!document.querySelector("#client_id_authorizationCode")`)
	must("client id", b.Fill("#client_id_authorizationCode", "swagger"))
	must("scope", b.Eval(`(() => { const s = document.querySelector(".scopes input[type=checkbox]"); if (s && !s.checked) s.click(); return true })()`, nil))
	must("submit", b.Click(".auth-container .btn.modal-btn.auth.authorize"))
	wait("authorized", `[...document.querySelectorAll(".auth-container button")].some(b => b.textContent.trim() === "Logout")`)

	want := srv.URL + "/docs/assets/swagger-ui/oauth2-redirect.html"
	mu.Lock()
	uris := append([]string(nil), redirectURIs...)
	mu.Unlock()
	if len(uris) != 2 || uris[0] != want || uris[1] != want {
		t.Errorf("redirect_uri at authorize and token: %q, want %q twice", uris, want)
	}
	var status int
	must("call", b.Eval(`(() => { const a = window.ui.authSelectors.authorized().toJS();
		return fetch("/api/whoami", {headers: {Authorization: "Bearer " + a.oauth.token.access_token}}).then(r => r.status) })()`, &status))
	mu.Lock()
	defer mu.Unlock()
	if status != http.StatusOK || gotAuth != "Bearer token-from-provider" {
		t.Errorf("the token Swagger UI holds: status %d, Authorization %q", status, gotAuth)
	}
}
