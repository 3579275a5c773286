// Command covetcache serves the covet benchmark app with plugins/cache's
// response cache installed (memory store, every GET response without
// freshness of its own stored for a minute): after the first request of an
// endpoint every request is a hit, so beside the covet row it shows what a
// hit costs and saves over running the handler.
package main

import (
	"os"
	"time"

	"github.com/covetgo/covet/plugins/cache"
	"github.com/covetgo/covet/tools/bench/apps/covetapp"
	"github.com/covetgo/covet/tools/bench/internal/shared"
)

func main() {
	ln := shared.Listen()
	app := covetapp.New()
	c, err := cache.New()
	if err != nil {
		os.Exit(1)
	}
	if err := app.Install(c); err != nil {
		os.Exit(1)
	}
	if err := app.Install(cache.NewHTTP(c, cache.WithDefaultTTL(time.Minute))); err != nil {
		os.Exit(1)
	}
	if err := app.Serve(ln); err != nil {
		os.Exit(1)
	}
}
