// Command covetmetrics serves the covet benchmark app with plugins/metrics
// installed (defaults: RED metrics, sizes, runtime collectors, /metrics).
package main

import (
	"os"

	"github.com/covetgo/covet/plugins/metrics"
	"github.com/covetgo/covet/tools/bench/apps/covetapp"
	"github.com/covetgo/covet/tools/bench/internal/shared"
)

func main() {
	ln := shared.Listen()
	app := covetapp.New()
	if err := app.Install(metrics.New()); err != nil {
		os.Exit(1)
	}
	if err := app.Serve(ln); err != nil {
		os.Exit(1)
	}
}
