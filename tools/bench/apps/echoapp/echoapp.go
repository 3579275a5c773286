// Package echoapp is the benchmark app on labstack/echo v4: c.String,
// c.JSON, c.Bind with go-playground/validator as e.Validator (echo's
// documented way), c.FormFile, and on the /api group echo's own middleware:
// Recover, RequestID, Logger (to io.Discard), CORS and Secure.
package echoapp

import (
	"io"
	"net/http"
	"strconv"

	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

type echoValidator struct{ v *validator.Validate }

func (ev echoValidator) Validate(i any) error {
	if err := ev.v.Struct(i); err != nil {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
	}
	return nil
}

// New returns the app.
func New() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard)
	e.Validator = echoValidator{validator.New(validator.WithRequiredStructEnabled())}
	e.GET("/plaintext", func(c echo.Context) error { return c.String(http.StatusOK, shared.Plaintext) })
	e.GET("/json", func(c echo.Context) error {
		return c.JSON(http.StatusOK, shared.Message{Message: shared.Plaintext})
	})
	e.GET("/users/:id", user)
	e.POST("/echo", echoBody[shared.EchoBody])
	e.POST("/echo2", echoBody[shared.Echo2Body])
	e.POST("/upload", func(c echo.Context) error {
		fh, err := c.FormFile("file")
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "no file part named file")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := shared.SaveTemp(f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, shared.UploadResult{Filename: fh.Filename, Size: n})
	})

	api := e.Group("/api",
		middleware.RequestID(),
		middleware.LoggerWithConfig(middleware.LoggerConfig{Output: io.Discard}),
		middleware.Recover(),
		middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins: []string{shared.AllowedOrigin}}),
		middleware.SecureWithConfig(middleware.SecureConfig{
			XSSProtection:         "",
			ContentTypeNosniff:    "nosniff",
			XFrameOptions:         "DENY",
			ContentSecurityPolicy: "frame-ancestors 'none'",
			ReferrerPolicy:        "strict-origin-when-cross-origin",
		}),
	)
	api.GET("/users/:id", user)
	api.GET("/panic", func(echo.Context) error { panic("boom") })
	return e
}

func user(c echo.Context) error {
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "id must be an integer")
	}
	return c.JSON(http.StatusOK, shared.NewUser(id))
}

// echoBody binds and validates a T and sends it back.
func echoBody[T any](c echo.Context) error {
	var b T
	if err := c.Bind(&b); err != nil {
		return err
	}
	if err := c.Validate(&b); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, &b)
}
