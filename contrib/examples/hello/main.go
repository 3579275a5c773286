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
	"github.com/covetgo/covet/plugins/settings"
)

// Settings is hello's configuration: -addr or HELLO_ADDR.
type Settings struct {
	Addr string `default:"127.0.0.1:8081" doc:"listen address"`
}

func main() {
	s, err := settings.Load[Settings](settings.WithPrefix("HELLO_"), settings.WithArgs(os.Args[1:]))
	if err != nil {
		log.Fatal(err)
	}
	app := covet.New()
	app.GET("/plaintext", func(c *covet.Context) error { return c.Text(http.StatusOK, "Hello, World!") })
	app.GET("/json", func(c *covet.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"message": "Hello, World!"})
	})
	if err := app.Run(s.Addr); err != nil {
		log.Fatal(err)
	}
}
