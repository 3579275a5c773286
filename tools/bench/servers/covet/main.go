// Command covet serves the benchmark app of package covetapp on -addr
// (default $ADDR, else 127.0.0.1:8080) with app.Serve (Covet's server
// defaults, graceful shutdown on SIGINT or SIGTERM).
package main

import (
	"os"

	"github.com/covetgo/covet/tools/bench/apps/covetapp"
	"github.com/covetgo/covet/tools/bench/internal/shared"
)

func main() {
	ln := shared.Listen()
	if err := covetapp.New().Serve(ln); err != nil {
		os.Exit(1)
	}
}
