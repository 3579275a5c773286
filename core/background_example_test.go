package covet_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	covet "github.com/covetgo/covet/core"
)

// ExampleContext_After: the client has its 202 at once; the mail goes out
// after the response, and shutdown waits for it.
func ExampleContext_After() {
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	sent := make(chan string, 1)
	app.POST("/signup", func(c *covet.Context) error {
		email := c.Query("email") // copy what the task needs from the Context
		if err := c.After(func(ctx context.Context) {
			sent <- "welcome mail to " + email
		}); err != nil {
			return err
		}
		return c.NoContent(http.StatusAccepted)
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/signup?email=ada@example.com", nil))
	fmt.Println(rec.Code)
	fmt.Println(<-sent)
	_ = app.Stop(context.Background()) // waits for background tasks
	// Output:
	// 202
	// welcome mail to ada@example.com
}

// ExampleApp_Go: an app-level loop that runs from Start until shutdown.
func ExampleApp_Go() {
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	ticks := 0
	_ = app.Go("refresher", func(ctx context.Context) {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done(): // shutdown
				return
			case <-t.C:
				ticks++
			}
		}
	})
	_ = app.Start(context.Background())
	time.Sleep(20 * time.Millisecond)
	_ = app.Stop(context.Background()) // cancels ctx, waits for the loop
	fmt.Println("refresher ran:", ticks > 0)
	// Output:
	// refresher ran: true
}
