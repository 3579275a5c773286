package orm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"go.uber.org/goleak"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

// TestFailedStartLeavesNothing installs the ORM on SQLite, makes the app's Start fail
// after it (so it is started, stopped and cleaned up) and before it (so it
// never starts and is cleaned up), and installs it from an Install that
// fails: no goroutine is left behind (goleak), and the rolled-back app
// answers exactly as one without it (no middleware left behind).
func TestFailedStartLeavesNothing(t *testing.T) {
	db := ormtest.SQLite(t)
	newPlugin := func(t *testing.T) covet.Plugin { return orm.New(orm.WithDriver(db.Driver), orm.WithDSN(db.DSN)) }
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
	})
}

func leakProbeApp() *covet.App {
	app := covet.New()
	app.GET("/leak-probe", func(c *covet.Context) error { return c.Text(http.StatusOK, "probe") })
	return app
}
