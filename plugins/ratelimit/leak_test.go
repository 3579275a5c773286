package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/covetgo/covet/plugins/ratelimit/redisstore"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// TestFailedStartLeavesNothing installs the limiter with a Redis backend it creates (redisstore.NewURL), makes the app's Start fail
// after it (so it is started, stopped and cleaned up) and before it (so it
// never starts and is cleaned up), and installs it from an Install that
// fails: no goroutine is left behind (goleak), no Redis connection, and the rolled-back app
// answers exactly as one without it (no middleware left behind).
func TestFailedStartLeavesNothing(t *testing.T) {

	url := covettest.RedisURL()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(opt)
	t.Cleanup(func() { _ = admin.Close() })
	covettest.NeedService(t, "redis", admin.Ping(context.Background()).Err())
	clientName := fmt.Sprintf("covet-leak-ratelimit-%d", time.Now().UnixNano())
	newPlugin := func(t *testing.T) covet.Plugin {
		be, err := redisstore.NewURL(url + "?client_name=" + clientName)
		if err != nil {
			t.Fatal(err)
		}
		return ratelimit.New(ratelimit.WithBackend(be))
	}
	errStart := errors.New("leak test: start fails")
	for _, failFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("failing plugin first %v", failFirst), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			app := covet.New()
			plugins := []covet.Plugin{newPlugin(t), covettest.FailingStart(errStart)}
			if failFirst {
				plugins[0], plugins[1] = plugins[1], plugins[0]
			}
			if err := app.Install(plugins...); err != nil {
				t.Fatal(err)
			}
			if err := app.Start(context.Background()); !errors.Is(err, errStart) {
				t.Fatalf("Start: %v, want the failing plugin's error", err)
			}
			if list, err := admin.ClientList(context.Background()).Result(); err != nil || strings.Contains(list, "name="+clientName+" ") {
				t.Errorf("a Redis connection named %s is left (or CLIENT LIST failed: %v)", clientName, err)
			}
		})
	}
	t.Run("failed install", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		bare, app := leakProbeApp(), leakProbeApp()
		if err := app.Install(covettest.FailingInstall(newPlugin(t), errStart)); !errors.Is(err, errStart) {
			t.Fatalf("Install: %v, want the failing plugin's error", err)
		}
		want := covettest.New(t, bare).Get("/leak-probe").Header("Origin", "https://example.com").Header("Accept-Encoding", "gzip").Do()
		got := covettest.New(t, app).Get("/leak-probe").Header("Origin", "https://example.com").Header("Accept-Encoding", "gzip").Do()
		want.Header.Del("Date")
		got.Header.Del("Date")
		if got.StatusCode != want.StatusCode || fmt.Sprint(got.Header) != fmt.Sprint(want.Header) || string(got.Body) != string(want.Body) {
			t.Errorf("after a rolled-back install: %d %v %q, want %d %v %q", got.StatusCode, got.Header, got.Body, want.StatusCode, want.Header, want.Body)
		}
		if len(app.Plugins()) != 0 {
			t.Errorf("plugins left: %d", len(app.Plugins()))
		}
		if list, err := admin.ClientList(context.Background()).Result(); err != nil || strings.Contains(list, "name="+clientName+" ") {
			t.Errorf("a Redis connection named %s is left (or CLIENT LIST failed: %v)", clientName, err)
		}
	})
}

func leakProbeApp() *covet.App {
	app := covet.New()
	app.GET("/leak-probe", func(c *covet.Context) error { return c.Text(http.StatusOK, "probe") })
	return app
}
