// Command fiber serves the benchmark app of package fiberapp on -addr
// (default $ADDR, else 127.0.0.1:8080) until SIGINT or SIGTERM.
package main

import (
	"os"

	"github.com/covetgo/covet/tools/bench/apps/fiberapp"
	"github.com/covetgo/covet/tools/bench/internal/shared"
)

func main() {
	ln := shared.Listen()
	app := fiberapp.New()
	go func() {
		if err := app.Listener(ln); err != nil {
			os.Exit(1)
		}
	}()
	shared.WaitForSignal()
}
