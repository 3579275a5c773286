package covet_test

import (
	"net/url"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

func TestAbsoluteURL(t *testing.T) {
	ok := func(c *covet.Context) error { return nil }
	q := url.Values{"token": {"a b&c"}}

	app := covet.New(covet.WithPublicURL("https://example.com/app/"))
	app.GET("/users/{id:int}/confirm", ok).Name("confirm")
	got, err := app.AbsoluteURL("confirm", q, "id", 42)
	if err != nil || got != "https://example.com/app/users/42/confirm?token=a+b%26c" {
		t.Errorf("App.AbsoluteURL = %q, %v", got, err)
	}
	if _, err := app.AbsoluteURL("nope", nil); err == nil {
		t.Error("unknown route: no error")
	}

	// Without a public URL: from the request, through trusted proxies only.
	app2 := covet.New(covet.WithTrustedProxies("10.0.0.0/8"))
	app2.GET("/users/{id:int}", ok).Name("user")
	app2.GET("/link", func(c *covet.Context) error {
		u, err := c.AbsoluteURL("user", nil, "id", 7)
		if err != nil {
			return err
		}
		return c.Text(200, u)
	})
	if _, err := app2.AbsoluteURL("user", nil, "id", 7); err == nil || !strings.Contains(err.Error(), "WithPublicURL") {
		t.Errorf("App.AbsoluteURL without a public URL: %v", err)
	}
	cl := covettest.New(t, app2)
	cl.Get("/link").Host("app.test").RemoteAddr("10.0.0.1:1").Header("X-Forwarded-Proto", "https").
		Header("X-Forwarded-Host", "shop.example").Header("X-Forwarded-For", "198.51.100.1").Do().
		ExpectBody("https://shop.example/users/7")
	cl.Get("/link").Host("app.test").RemoteAddr("203.0.113.1:1").Header("X-Forwarded-Host", "evil.example").Do().
		ExpectBody("http://app.test/users/7")

	defer func() {
		if recover() == nil {
			t.Error("WithPublicURL with a relative URL did not panic")
		}
	}()
	covet.WithPublicURL("/relative")
}
