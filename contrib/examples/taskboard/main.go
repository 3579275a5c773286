// Command taskboard is Covet's flagship example: a small team task board.
package main

import (
	"log"
	"net/http"

	covet "github.com/covetgo/covet/core"
)

func main() {
	app := covet.New(covet.WithHealth())
	app.GET("/", func(c *covet.Context) error { return c.Text(http.StatusOK, "taskboard") })
	log.Fatal(app.Run("127.0.0.1:8080"))
}
