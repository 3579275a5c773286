// Command covetotel serves the covet benchmark app with plugins/otel installed
// as apps use it by default: OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, every
// trace sampled, so server spans take the plugin's fast path (encoded as OTLP
// and posted in batches). The HTTP client reads each export and answers 200
// without a network, as covetotelsdk's exporter encodes and drops.
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
	if err := os.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", obs.Endpoint); err != nil {
		os.Exit(1)
	}
	app := covetapp.New()
	if err := app.Install(otel.New(otel.WithSampler(obs.Sampler(true)), otel.WithHTTPClient(obs.HTTPClient()))); err != nil {
		os.Exit(1)
	}
	if err := app.Serve(ln); err != nil {
		os.Exit(1)
	}
}
