// Command covetoteldrop serves the covet benchmark app with plugins/otel installed,
// every trace dropped by a parent-based never-sample sampler (the plugin builds
// the provider, so it decides before the SDK, as an app using WithSampler does).
package main

import (
	"os"

	"github.com/covetgo/covet/plugins/otel"
	"github.com/covetgo/covet/tools/bench/apps/covetapp"
	"github.com/covetgo/covet/tools/bench/internal/obs"
	"github.com/covetgo/covet/tools/bench/internal/shared"
)

func main() {
	ln := shared.Listen()
	app := covetapp.New()
	if err := app.Install(otel.New(otel.WithSampler(obs.Sampler(false)), otel.WithExporter(obs.Exporter()))); err != nil {
		os.Exit(1)
	}
	if err := app.Serve(ln); err != nil {
		os.Exit(1)
	}
}
