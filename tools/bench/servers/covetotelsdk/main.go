// Command covetotelsdk serves the covet benchmark app with plugins/otel installed,
// every trace sampled and exported in batches (OTLP encoding, no network), through
// the provider the plugin builds with an exporter passed in (WithExporter): every
// span through the SDK, the path before the fast path.
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
	if err := app.Install(otel.New(otel.WithSampler(obs.Sampler(true)), otel.WithExporter(obs.Exporter()))); err != nil {
		os.Exit(1)
	}
	if err := app.Serve(ln); err != nil {
		os.Exit(1)
	}
}
