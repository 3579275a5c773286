// Command nethttpotel serves the net/http benchmark app wrapped in otelhttp's
// handler, every trace sampled and exported in batches like covetotel: the
// peer to compare plugins/otel with.
package main

import (
	"github.com/covetgo/covet/tools/bench/apps/nethttpapp"
	"github.com/covetgo/covet/tools/bench/internal/obs"
	"github.com/covetgo/covet/tools/bench/internal/shared"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

func main() {
	ln := shared.Listen()
	shared.Serve(ln, otelhttp.NewHandler(nethttpapp.New(), "server", otelhttp.WithTracerProvider(obs.Provider(true))))
}
