// Command pageraw serves the page benchmark (package page) with raw
// html/template on net/http's ServeMux: the baseline of the html/template
// servers (page.RawHandler), served as http.ListenAndServe would.
package main

import (
	"net/http"
	"os"

	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/covetgo/covet/tools/bench/page"
)

func main() {
	ln := shared.Listen()
	t, err := page.Raw()
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+page.Path, page.RawHandler(t, page.New()))
	shared.Serve(ln, mux)
}
