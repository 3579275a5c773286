package middleware_test

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/core/middleware"
)

var totalTiming = regexp.MustCompile(`^total;dur=\d+\.\d{3}$`)

func TestTimingHeader(t *testing.T) {
	app, _ := newApp()
	app.Use(middleware.Timing())
	app.GET("/text", func(c *covet.Context) error { return c.Text(200, "ok") })
	app.GET("/empty", func(c *covet.Context) error { return nil })
	app.GET("/error", func(c *covet.Context) error { return covet.NewError(http.StatusForbidden, "no") })
	app.GET("/own", func(c *covet.Context) error {
		c.Response().Header().Add("Server-Timing", `db;dur=5;desc="query"`)
		return c.Text(200, "ok")
	})
	app.GET("/flush", func(c *covet.Context) error {
		if err := http.NewResponseController(c.Response()).Flush(); err != nil {
			return err
		}
		_, err := c.Response().Write([]byte("streamed"))
		return err
	})
	cl := covettest.New(t, app)
	for _, tt := range []struct {
		path   string
		status int
	}{{"/text", 200}, {"/empty", 200}, {"/error", 403}, {"/missing", 404}, {"/flush", 200}} {
		t.Run(tt.path, func(t *testing.T) {
			res := cl.Get(tt.path).Do().ExpectStatus(tt.status)
			if v := res.Header.Values("Server-Timing"); len(v) != 1 || !totalTiming.MatchString(v[0]) {
				t.Errorf("Server-Timing = %q", v)
			}
		})
	}
	t.Run("beside the handler's metrics", func(t *testing.T) {
		v := cl.Get("/own").Do().Header.Values("Server-Timing")
		if len(v) != 2 || v[0] != `db;dur=5;desc="query"` || !totalTiming.MatchString(v[1]) {
			t.Errorf("Server-Timing = %q", v)
		}
	})
}

func TestTimingAccessors(t *testing.T) {
	app, _ := newApp()
	var start time.Time
	var elapsed time.Duration
	before := time.Now()
	app.GET("/timed", func(c *covet.Context) error {
		time.Sleep(time.Millisecond)
		start, elapsed = middleware.StartTime(c), middleware.Elapsed(c)
		return nil
	}, middleware.Timing())
	app.GET("/untimed", func(c *covet.Context) error {
		start, elapsed = middleware.StartTime(c), middleware.Elapsed(c)
		return nil
	})
	cl := covettest.New(t, app)
	cl.Get("/timed").Do()
	if start.Before(before) || start.After(time.Now()) || elapsed < time.Millisecond {
		t.Errorf("StartTime %v (test began %v), Elapsed %v", start, before, elapsed)
	}
	cl.Get("/untimed").Do()
	if !start.IsZero() || elapsed != 0 {
		t.Errorf("without Timing: StartTime %v, Elapsed %v; want zero values", start, elapsed)
	}
}

func TestTimingKeepsFlushAndHijack(t *testing.T) {
	app, _ := newApp()
	app.Use(middleware.Timing())
	app.GET("/flush", func(c *covet.Context) error {
		c.Response().Header().Set("Content-Type", "text/plain")
		c.Response().Flush()
		return nil
	})
	app.GET("/deadline", func(c *covet.Context) error {
		if err := http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			return err
		}
		return c.Text(200, "deadline set")
	})
	app.GET("/hijack", func(c *covet.Context) error {
		conn, rw, err := http.NewResponseController(c.Response()).Hijack()
		if err != nil {
			return err
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		return rw.Flush()
	})

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/flush", nil))
	if !rec.Flushed || !totalTiming.MatchString(rec.Header().Get("Server-Timing")) {
		t.Errorf("flushed %v, Server-Timing %q", rec.Flushed, rec.Header().Get("Server-Timing"))
	}

	srv := httptest.NewServer(app)
	defer srv.Close()
	covettest.NewRemote(t, srv.URL).Get("/deadline").Do().ExpectStatus(200).ExpectBody("deadline set")

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if string(body) != "hijacked" || strings.Contains(res.Header.Get("Server-Timing"), "total") {
		t.Errorf("hijacked response: %q, headers %v", body, res.Header)
	}
}

// TestTimingFormat checks the hand-written digits against strconv.
func TestTimingFormat(t *testing.T) {
	for _, us := range []int64{0, 1, 9, 10, 99, 100, 999, 1000, 1001, 12345, 999999, 1000000, 123456789, math.MaxInt64} {
		want := "total;dur=" + strconv.FormatInt(us/1000, 10) + "." + fmt.Sprintf("%03d", us%1000)
		if got := middleware.TimingFormat(us); got != want {
			t.Errorf("format(%d) = %q, want %q", us, got, want)
		}
	}
	if got := middleware.TimingFormat(-5); got != "total;dur=0.000" {
		t.Errorf("format(-5) = %q, want total;dur=0.000", got)
	}
}
