// Command hello is the smallest Covet app: one plaintext and one JSON route.
// Its test checks the resident memory after 10,000 requests.
//
//	go run ./contrib/examples/hello -addr 127.0.0.1:8081   # or HELLO_ADDR=127.0.0.1:8081
package main

import (
	"log"
	"net/http"
	"os"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
	"github.com/covetgo/covet/plugins/settings"
)

// Settings is hello's configuration: -addr or HELLO_ADDR, -allowed-hosts
// or HELLO_ALLOWED_HOSTS.
type Settings struct {
	Addr string `default:"127.0.0.1:8081" doc:"listen address"`
	// AllowedHosts guards against DNS rebinding: a request for any other
	// host (a rebinding name that resolves to 127.0.0.1) gets a 400. Set
	// the names the app is served under when it is deployed.
	AllowedHosts []string `default:"localhost,127.0.0.1,::1" minItems:"1" doc:"host names served (Host header), comma-separated"`
}

func main() {
	s, err := settings.Load[Settings](settings.WithPrefix("HELLO_"), settings.WithArgs(os.Args[1:]))
	if err != nil {
		log.Fatal(err)
	}
	if err := newApp(s).Run(s.Addr); err != nil {
		log.Fatal(err)
	}
}

func newApp(s *Settings) *covet.App {
	app := covet.New()
	app.Pre(middleware.AllowedHosts(s.AllowedHosts...))
	app.GET("/plaintext", func(c *covet.Context) error { return c.Text(http.StatusOK, "Hello, World!") })
	app.GET("/json", func(c *covet.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"message": "Hello, World!"})
	})
	return app
}
