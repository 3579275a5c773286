//go:build unix

package covet_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// TestAfterDrainSIGTERM: 100 requests each schedule an After task still
// running when SIGTERM arrives; Serve waits for every one before it
// returns nil.
func TestAfterDrainSIGTERM(t *testing.T) {
	app := covet.New(quiet(), covet.WithServer(covet.ServerConfig{ShutdownTimeout: 30 * time.Second}))
	var scheduled, completed atomic.Int32
	draining := app.Draining()
	app.GET("/job", func(c *covet.Context) error {
		if err := c.After(func(ctx context.Context) {
			<-draining // still running when the signal comes
			time.Sleep(time.Millisecond)
			completed.Add(1)
		}); err != nil {
			return err
		}
		scheduled.Add(1)
		return c.NoContent(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	served := make(chan error, 1)
	go func() { served <- app.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	getWhenUp(t, base+"/job").Body.Close()
	for i := 1; i < 100; i++ {
		res, err := http.Get(base + "/job")
		must(t, err)
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	must(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	if err := waitServed(t, served); err != nil {
		t.Fatalf("Serve returned %v after SIGTERM, want nil", err)
	}
	if s, c := scheduled.Load(), completed.Load(); s != 100 || c != 100 {
		t.Fatalf("scheduled %d, completed %d by the time Serve returned; want 100 and 100", s, c)
	}
}
