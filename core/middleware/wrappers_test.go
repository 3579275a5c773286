package middleware_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
)

// TestWritersKeepHijackFlushReadFrom checks that a WebSocket-style
// upgrade (hijack), a streamed response (flush) and a file copy
// (io.ReaderFrom) work behind each core middleware that touches the
// response, and behind all of them at once.
func TestWritersKeepHijackFlushReadFrom(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	all := []struct {
		name string
		mw   covet.Middleware
	}{
		{"Timing", middleware.Timing()},
		{"Timeout", middleware.Timeout(time.Minute)},
		{"AccessLog", middleware.AccessLog(middleware.WithAccessLogger(quiet))},
		{"Recover", middleware.Recover()},
		{"SecureHeaders", middleware.SecureHeaders()},
		{"RequestID", middleware.RequestID()},
	}
	type stack struct {
		name string
		mw   []covet.Middleware
	}
	var stacks []stack
	var every []covet.Middleware
	for _, m := range all {
		stacks = append(stacks, stack{m.name, []covet.Middleware{m.mw}})
		every = append(every, m.mw)
	}
	stacks = append(stacks, stack{"all", every})
	file := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat("f", 10000)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, st := range stacks {
		t.Run(st.name, func(t *testing.T) {
			app := covet.New(covet.WithLogger(quiet))
			app.Use(st.mw...)
			flushed := make(chan struct{})
			app.GET("/upgrade", func(c *covet.Context) error {
				conn, rw, err := http.NewResponseController(c.Response()).Hijack()
				if err != nil {
					return err
				}
				defer conn.Close()
				_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
				_ = rw.Flush()
				line, _ := rw.ReadString('\n')
				_, _ = rw.WriteString("echo:" + line)
				return rw.Flush()
			})
			app.GET("/stream", func(c *covet.Context) error {
				if _, err := c.Response().Write([]byte("first\n")); err != nil {
					return err
				}
				if err := http.NewResponseController(c.Response()).Flush(); err != nil {
					return err
				}
				select {
				case <-flushed: // the client read the first line before the handler returned
				case <-time.After(10 * time.Second):
					t.Error("the first chunk did not reach the client: the flush was lost")
				}
				_, err := c.Response().Write([]byte("second\n"))
				return err
			})
			app.GET("/file", func(c *covet.Context) error {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				rf, ok := any(c.Response()).(io.ReaderFrom)
				if !ok {
					t.Error("the Response is not an io.ReaderFrom")
					return nil
				}
				_, err = rf.ReadFrom(f)
				return err
			})
			ts := httptest.NewServer(app)
			defer ts.Close()

			// Hijack.
			conn, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			_, _ = io.WriteString(conn, "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
			br := bufio.NewReader(conn)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			if res.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("upgrade: status %d, want 101", res.StatusCode)
			}
			_, _ = io.WriteString(conn, "ping\n")
			if line, _ := br.ReadString('\n'); line != "echo:ping\n" {
				t.Errorf("hijacked connection answered %q", line)
			}

			// Flush.
			sres, err := http.Get(ts.URL + "/stream")
			if err != nil {
				t.Fatal(err)
			}
			sbr := bufio.NewReader(sres.Body)
			if line, _ := sbr.ReadString('\n'); line != "first\n" {
				t.Errorf("stream: first line %q", line)
			}
			close(flushed)
			if rest, _ := io.ReadAll(sbr); string(rest) != "second\n" {
				t.Errorf("stream: rest %q", rest)
			}
			sres.Body.Close()

			// ReadFrom.
			fres, err := http.Get(ts.URL + "/file")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(fres.Body)
			fres.Body.Close()
			if fres.StatusCode != 200 || len(body) != 10000 {
				t.Errorf("file: status %d, %d bytes", fres.StatusCode, len(body))
			}
		})
	}
}
