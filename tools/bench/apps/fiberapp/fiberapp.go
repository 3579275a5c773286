// Package fiberapp is the benchmark app on gofiber/fiber v2 (fasthttp):
// c.SendString, c.JSON, c.BodyParser with go-playground/validator (fiber's
// documented way), c.FormFile, and on the /api group fiber's own
// middleware: recover, requestid, logger (to io.Discard), cors and helmet.
package fiberapp

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/logger"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
)

// New returns the app: fiber's default server (no timeouts), or with the
// read/write/idle timeouts of Covet when shared.Timeouts().
func New() *fiber.App {
	v := validator.New(validator.WithRequiredStructEnabled())
	cfg := fiber.Config{DisableStartupMessage: true, BodyLimit: 32 << 20}
	if shared.Timeouts() {
		cfg.ReadTimeout = shared.ReadTimeout
		cfg.WriteTimeout = shared.WriteTimeout
		cfg.IdleTimeout = shared.IdleTimeout
	}
	app := fiber.New(cfg)
	app.Get("/plaintext", func(c *fiber.Ctx) error { return c.SendString(shared.Plaintext) })
	app.Get("/json", func(c *fiber.Ctx) error { return c.JSON(shared.Message{Message: shared.Plaintext}) })
	app.Get("/users/:id", user)
	app.Post("/echo", echo[shared.EchoBody](v))
	app.Post("/echo2", echo[shared.Echo2Body](v))
	app.Post("/upload", func(c *fiber.Ctx) error {
		fh, err := c.FormFile("file")
		if err != nil {
			return c.Status(http.StatusBadRequest).JSON(shared.ErrorBody{Error: "no file part named file"})
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
		return c.JSON(shared.UploadResult{Filename: fh.Filename, Size: n})
	})

	api := app.Group("/api",
		requestid.New(),
		logger.New(logger.Config{Output: io.Discard}),
		recover.New(),
		cors.New(cors.Config{AllowOrigins: shared.AllowedOrigin}),
		helmet.New(helmet.Config{XFrameOptions: "DENY", ContentSecurityPolicy: "frame-ancestors 'none'"}),
	)
	api.Get("/users/:id", user)
	api.Get("/panic", func(*fiber.Ctx) error { panic("boom") })
	return app
}

func user(c *fiber.Ctx) error {
	id, err := strconv.Atoi(c.Params("id"))
	if err != nil {
		return c.Status(http.StatusBadRequest).JSON(shared.ErrorBody{Error: "id must be an integer"})
	}
	return c.JSON(shared.NewUser(id))
}

// echo parses and validates a T and sends it back: 422 for an invalid body,
// 400 for malformed JSON.
func echo[T any](v *validator.Validate) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b T
		if err := c.BodyParser(&b); err != nil {
			return c.Status(http.StatusBadRequest).JSON(shared.ErrorBody{Error: "malformed JSON: " + err.Error()})
		}
		if err := v.Struct(&b); err != nil {
			var ve validator.ValidationErrors
			if errors.As(err, &ve) {
				return c.Status(http.StatusUnprocessableEntity).JSON(shared.ErrorBody{Error: err.Error()})
			}
			return err
		}
		return c.JSON(&b)
	}
}
