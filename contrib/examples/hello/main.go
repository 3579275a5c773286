// Command hello is the smallest Covet app: one plaintext and one JSON route.
// Its test checks the resident memory after 10,000 requests.
//
//	go run ./contrib/examples/hello -addr 127.0.0.1:8081
package main

import (
	"flag"
	"log"
	"net/http"

	covet "github.com/covetgo/covet/core"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	app := covet.New()
	app.GET("/plaintext", func(c *covet.Context) error { return c.Text(http.StatusOK, "Hello, World!") })
	app.GET("/json", func(c *covet.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"message": "Hello, World!"})
	})
	if err := app.Run(*addr); err != nil {
		log.Fatal(err)
	}
}
