//go:build unix

package covet_test

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/command"
)

// TestRunServesInheritedListener: with COVET_LISTEN_FD set, Run serves on
// that socket and ignores its address (what covet dev relies on).
func TestRunServesInheritedListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Setenv(command.ListenFDEnv, strconv.Itoa(int(f.Fd())))
	app := covet.New()
	app.GET("/", func(c *covet.Context) error { return c.Text(200, "inherited") })
	done := make(chan error, 1)
	go func() { done <- app.Run("256.0.0.1:bad") }()
	res, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "inherited" {
		t.Fatalf("body %q", body)
	}
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRunRejectsBadListenFD(t *testing.T) {
	t.Setenv(command.ListenFDEnv, "x")
	if err := covet.New().Run("127.0.0.1:0"); err == nil {
		t.Fatal("Run with COVET_LISTEN_FD=x: no error")
	}
}
