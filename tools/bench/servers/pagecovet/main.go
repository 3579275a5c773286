// Command pagecovet serves the page benchmark (package page) with Covet and
// plugins/tmpl: GET /page is tmpl.Render of the html/template page
// tasks/index, served by app.Serve (Covet's server defaults).
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
	if err := app.Install(tmpl.New(page.Templates())); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	d := page.New()
	app.GET(page.Path, func(c *covet.Context) error { return tmpl.Render(c, http.StatusOK, "tasks/index", d) })
	if err := app.Serve(ln); err != nil {
		os.Exit(1)
	}
}
