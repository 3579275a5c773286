// Command echo serves the benchmark app of package echoapp on -addr (default
// $ADDR, else 127.0.0.1:8080) until SIGINT or SIGTERM.
package main

import (
	"github.com/covetgo/covet/tools/bench/apps/echoapp"
	"github.com/covetgo/covet/tools/bench/internal/shared"
)

func main() {
	ln := shared.Listen()
	shared.Serve(ln, echoapp.New())
}
