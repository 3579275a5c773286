// Command pagetempl serves the page benchmark (package page) with Covet and
// an a-h/templ component: GET /page is tmpl.RenderComponent of
// page.TasksPage, served by app.Serve (Covet's server defaults).
package main

import (
	"net/http"
	"os"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/tmpl"
	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/covetgo/covet/tools/bench/page"
)

func main() {
	ln := shared.Listen()
	app := covet.New()
	d := page.New()
	app.GET(page.Path, func(c *covet.Context) error {
		return tmpl.RenderComponent(c, http.StatusOK, page.TasksPage(d))
	})
	if err := app.Serve(ln); err != nil {
		os.Exit(1)
	}
}
