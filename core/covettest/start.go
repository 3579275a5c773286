package covettest

import (
	"context"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
)

// StartTimeout bounds Start's app.Start and the app.Stop it registers.
const StartTimeout = time.Minute

// Start starts app as Run does before serving — the plugins' Start hooks
// open database pools, apply migrations on start, start loops — and stops it
// when the test ends (t.Cleanup: in-flight background tasks finish, plugins
// stop in reverse order), like entering FastAPI's `with TestClient(app):`
// block. It returns app, so a test reads
//
//	client := covettest.New(t, covettest.Start(t, app))
//
// New and NewServer do not start the app: without Start, a handler that
// needs a started plugin fails (orm.DB answers "database is not open").
// A failed start fails the test at once; a failed stop is reported with
// t.Errorf.
func Start(t testing.TB, app *covet.App) *covet.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatalf("covettest: starting the app: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
		defer cancel()
		if err := app.Stop(ctx); err != nil {
			t.Errorf("covettest: stopping the app: %v", err)
		}
	})
	return app
}
