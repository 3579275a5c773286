package auth_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
)

// TestAttackTwoAuthorizationHeaders: a request with two Authorization
// headers is refused, whichever of them is valid, on required and optional
// guards and for Basic credentials too: a proxy in front may check one and
// the app read the other.
func TestAttackTwoAuthorizationHeaders(t *testing.T) {
	now := time.Now()
	good := "Bearer " + hs256(secret, goodHeader(), goodClaims(now))
	bad := "Bearer " + hs256([]byte("not the secret, not the secret.."), goodHeader(), goodClaims(now))
	app, _, c := newApp(t)
	srv := covettest.NewServer(t, app)
	for _, pair := range [][2]string{{good, bad}, {bad, good}, {good, good}, {good, "Basic YWxpY2U6cHc="}} {
		for _, path := range []string{"/me", "/maybe"} {
			for name, cl := range map[string]*covettest.Client{"in process": c, "server": srv} {
				res := cl.Get(path).AddHeader("Authorization", pair[0]).AddHeader("Authorization", pair[1]).Do()
				if res.StatusCode != 401 {
					t.Errorf("%s %s with two Authorization headers: %d %s", name, path, res.StatusCode, res.Text())
				}
			}
		}
	}
	// One header still works, in any case of the scheme and with extra spaces.
	for _, v := range []string{good, "bearer " + good[7:], "BEARER  " + good[7:] + " "} {
		c.Get("/me").Header("Authorization", v).Do().ExpectStatus(200)
	}

	// Basic credentials, the same.
	check := func(_ context.Context, user, pass string) (*auth.User, error) {
		if user != "ops" || pass != "pw" {
			return nil, auth.ErrBadCredentials
		}
		return &auth.User{ID: "ops"}, nil
	}
	app2, _, c2 := newApp(t, auth.WithBasic(check))
	app2.GET("/ops", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeBasic))
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:pw"))
	c2.Get("/ops").Header("Authorization", basic).Do().ExpectStatus(200)
	c2.Get("/ops").AddHeader("Authorization", basic).AddHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("eve:x"))).Do().ExpectStatus(401)
	c2.Get("/ops").AddHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("eve:x"))).AddHeader("Authorization", basic).Do().ExpectStatus(401)
}

// TestAttackTwoAPIKeyHeaders: two API key headers are refused, whichever
// is valid, like two Authorization headers.
func TestAttackTwoAPIKeyHeaders(t *testing.T) {
	plain, rec, err := auth.NewAPIKey("ck", "svc-1", "tasks:read")
	if err != nil {
		t.Fatal(err)
	}
	app, _, c := newApp(t, auth.WithAPIKeys(auth.NewMemoryAPIKeys(rec), ""))
	app.GET("/svc", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Required(auth.SchemeAPIKey))
	app.GET("/svc-maybe", func(c *covet.Context) error { return c.Text(200, auth.UserID(c)) }).With(auth.Optional(auth.SchemeAPIKey))
	c.Get("/svc").Header("X-API-Key", plain).Do().ExpectStatus(200).ExpectBody("svc-1")
	for _, path := range []string{"/svc", "/svc-maybe"} {
		c.Get(path).AddHeader("X-API-Key", plain).AddHeader("X-API-Key", "ck.0000000000000000.x").Do().ExpectStatus(401)
		c.Get(path).AddHeader("X-API-Key", "ck.0000000000000000.x").AddHeader("X-API-Key", plain).Do().ExpectStatus(401)
	}
}
