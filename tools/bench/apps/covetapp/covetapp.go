// Package covetapp is the benchmark app written with Covet, the way its
// README teaches: plain handlers for the fixed answers, typed handlers for
// /users/{id} and /echo, Context.Multipart streaming the upload to a
// temporary file, and core/middleware plus plugins/cors on the /api group.
package covetapp

import (
	"io"
	"log/slog"
	"net/http"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
	"github.com/covetgo/covet/plugins/cors"
	"github.com/covetgo/covet/tools/bench/internal/shared"
)

// UserIn is the typed input of GET /users/{id}: a path int, so a value that
// does not parse is a 422 problem.
type UserIn struct {
	ID int `path:"id"`
}

// New returns the app. Its own log lines (start, stop) are discarded.
func New() *covet.App {
	app := covet.New(covet.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.GET("/plaintext", func(c *covet.Context) error {
		return c.Text(http.StatusOK, shared.Plaintext)
	})
	app.GET("/json", func(c *covet.Context) error {
		return c.JSON(http.StatusOK, shared.Message{Message: shared.Plaintext})
	})
	covet.Get(app, "/users/{id}", getUser)
	covet.Post(app, "/echo", func(c *covet.Context, in *shared.EchoBody) (*shared.EchoBody, error) {
		return in, nil
	})
	covet.Post(app, "/echo2", func(c *covet.Context, in *shared.Echo2Body) (*shared.Echo2Body, error) {
		return in, nil
	})
	app.POST("/upload", upload)

	api := app.Group("/api",
		middleware.Recover(),
		middleware.RequestID(),
		middleware.AccessLog(middleware.WithAccessLogWriter(io.Discard)),
		cors.Middleware(cors.WithOrigins(shared.AllowedOrigin)),
		middleware.SecureHeaders(),
	)
	covet.Get(api, "/users/{id}", getUser)
	api.GET("/panic", func(c *covet.Context) error { panic("boom") })
	return app
}

func getUser(c *covet.Context, in *UserIn) (*shared.User, error) {
	u := shared.NewUser(in.ID)
	return &u, nil
}

// upload streams the "file" part to a temporary file.
func upload(c *covet.Context) error {
	var res shared.UploadResult
	found := false
	err := c.Multipart(func(p *covet.Part) error {
		if p.Name != "file" || !p.IsFile() {
			return nil
		}
		n, err := shared.SaveTemp(p)
		if err != nil {
			return err
		}
		found = true
		res = shared.UploadResult{Filename: p.Filename, Size: n}
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		return covet.NewError(http.StatusBadRequest, "no file part named file")
	}
	return c.JSON(http.StatusOK, res)
}
