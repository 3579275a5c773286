package cors_test

import (
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/cors"
)

// TestStarPolicyAnswersNullPreflights: a public "*" policy is a fixed
// answer for everyone, the "null" origin (sandboxed frames, file: pages)
// included, as the package documents; its actual requests got "*" but its
// preflights were refused, so a sandboxed page could GET the API but not
// send JSON to it.
func TestStarPolicyAnswersNullPreflights(t *testing.T) {
	app := covet.New()
	app.POST("/api", func(c *covet.Context) error { return c.Text(http.StatusOK, "ok") })
	if err := app.Install(cors.New(cors.WithOrigins("*"), cors.WithHeaders("Content-Type"))); err != nil {
		t.Fatal(err)
	}
	c := covettest.NewServer(t, app)
	c.Options("/api").Header("Origin", "null").Header("Access-Control-Request-Method", "POST").
		Header("Access-Control-Request-Headers", "content-type").Do().
		ExpectStatus(http.StatusNoContent).
		ExpectHeader("Access-Control-Allow-Origin", "*").
		ExpectHeader("Access-Control-Allow-Headers", "content-type")
	c.Post("/api").Header("Origin", "null").Do().ExpectStatus(200).ExpectHeader("Access-Control-Allow-Origin", "*")

	// With listed origins (and credentials), "null" stays refused unless listed.
	app2 := covet.New()
	app2.POST("/api", func(c *covet.Context) error { return c.Text(http.StatusOK, "ok") })
	if err := app2.Install(cors.New(cors.WithOrigins("https://app.example.com"), cors.WithCredentials(true))); err != nil {
		t.Fatal(err)
	}
	covettest.NewServer(t, app2).Options("/api").Header("Origin", "null").Header("Access-Control-Request-Method", "POST").Do().
		ExpectNoHeader("Access-Control-Allow-Origin")
}
