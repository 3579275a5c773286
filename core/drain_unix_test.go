//go:build unix

package covet_test

import (
	"net"
	"os"
	"syscall"
	"testing"

	covet "github.com/covetgo/covet/core"
)

// TestServeReturnsNilOnSIGTERM: Serve returns nil after a SIGTERM-initiated
// shutdown, so main's "if err != nil { log.Fatal(err) }" exits 0.
func TestServeReturnsNilOnSIGTERM(t *testing.T) {
	app := covet.New(quiet())
	app.GET("/ok", func(c *covet.Context) error { return c.Text(200, "ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	served := make(chan error, 1)
	go func() { served <- app.Serve(ln) }()
	// Serving means Serve's signal handler is in place.
	getWhenUp(t, "http://"+ln.Addr().String()+"/ok").Body.Close()
	must(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	if err := waitServed(t, served); err != nil {
		t.Fatalf("Serve returned %v after SIGTERM, want nil", err)
	}
}
