package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authtest"
)

// TestUserListsEncodeEmpty: a user granted no scopes or roles, however it
// authenticated, has empty lists that encode as [] in JSON, not null (an
// API returning the principal's scopes answered "scopes": null).
func TestUserListsEncodeEmpty(t *testing.T) {
	keys := auth.NewMemoryAPIKeys()
	key, rec, err := auth.NewAPIKey("ck", "svc")
	if err != nil {
		t.Fatal(err)
	}
	keys.Add(rec)
	basic := func(context.Context, string, string) (*auth.User, error) { return &auth.User{ID: "ops"}, nil }
	app, a, c := newApp(t, auth.WithAPIKeys(keys, ""), auth.WithBasic(basic), auth.WithInsecureCookie(), auth.WithSessions(auth.NewMemorySessions(), sessionSecret))
	app.GET("/user", func(c *covet.Context) error {
		u, _ := auth.Principal(c)
		return c.JSON(200, u)
	}).With(auth.Required(auth.SchemeBearer, auth.SchemeAPIKey, auth.SchemeBasic, auth.SchemeSession))
	app.POST("/login", func(c *covet.Context) error {
		if _, err := a.StartSession(c, "alice"); err != nil {
			return err
		}
		u, _ := auth.Principal(c)
		return c.JSON(200, u)
	})
	basicReq, _ := http.NewRequest("GET", "/", nil)
	basicReq.SetBasicAuth("ops", "pw")
	check := func(name, body string) {
		t.Helper()
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%s: %v: %s", name, err, body)
		}
		for _, f := range []string{"Scopes", "Roles"} {
			if string(m[f]) != "[]" {
				t.Errorf("%s: %s encodes as %s, want []", name, f, m[f])
			}
		}
	}
	check("bearer", c.Get("/user").Header("Authorization", "Bearer "+authtest.Token(t, a, "alice")).Do().ExpectStatus(200).Text())
	check("api key", c.Get("/user").Header("X-API-Key", key).Do().ExpectStatus(200).Text())
	check("basic", c.Get("/user").Header("Authorization", basicReq.Header.Get("Authorization")).Do().ExpectStatus(200).Text())
	check("session start", c.Post("/login").Do().ExpectStatus(200).Text())
	check("session", c.Get("/user").Do().ExpectStatus(200).Text())
	// The scopes alone, as an API returns them.
	body := c.Get("/me").Header("Authorization", "Bearer "+authtest.Token(t, a, "alice")).Do().ExpectStatus(200).Text()
	if !strings.Contains(body, `"scopes":[]`) {
		t.Errorf("/me: %s", body)
	}
}
