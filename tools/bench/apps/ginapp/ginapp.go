// Package ginapp is the benchmark app on gin-gonic/gin in release mode
// (gin.New, no default middleware): c.String, c.JSON, ShouldBindJSON with
// binding tags (go-playground/validator), c.FormFile, and on the /api group
// gin.Recovery, gin-contrib/requestid, gin.LoggerWithWriter to io.Discard,
// gin-contrib/cors and a security-header middleware.
package ginapp

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/gin-contrib/cors"
	"github.com/gin-contrib/requestid"
	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"
)

// New returns the app.
func New() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/plaintext", func(c *gin.Context) { c.String(http.StatusOK, shared.Plaintext) })
	r.GET("/json", func(c *gin.Context) { c.JSON(http.StatusOK, shared.Message{Message: shared.Plaintext}) })
	r.GET("/users/:id", user)
	r.POST("/echo", echo[shared.EchoBody])
	r.POST("/echo2", echo[shared.Echo2Body])
	r.POST("/upload", func(c *gin.Context) {
		fh, err := c.FormFile("file")
		if err != nil {
			c.JSON(http.StatusBadRequest, shared.ErrorBody{Error: "no file part named file"})
			return
		}
		f, err := fh.Open()
		if err != nil {
			_ = c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		defer f.Close()
		n, err := shared.SaveTemp(f)
		if err != nil {
			_ = c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		c.JSON(http.StatusOK, shared.UploadResult{Filename: fh.Filename, Size: n})
	})

	api := r.Group("/api",
		requestid.New(),
		gin.LoggerWithWriter(io.Discard),
		gin.Recovery(),
		cors.New(cors.Config{AllowOrigins: []string{shared.AllowedOrigin}, AllowMethods: []string{"GET", "POST"}}),
		func(c *gin.Context) {
			h := c.Writer.Header()
			for _, kv := range shared.SecurityHeaders {
				h.Set(kv[0], kv[1])
			}
			c.Next()
		},
	)
	api.GET("/users/:id", user)
	api.GET("/panic", func(*gin.Context) { panic("boom") })
	return r
}

func user(c *gin.Context) {
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil {
		c.JSON(http.StatusBadRequest, shared.ErrorBody{Error: "id must be an integer"})
		return
	}
	c.JSON(http.StatusOK, shared.NewUser(id))
}

// echo binds and validates a T (ShouldBindJSON with binding tags) and
// sends it back: 422 for an invalid body, 400 for malformed JSON.
func echo[T any](c *gin.Context) {
	var b T
	if err := c.ShouldBindJSON(&b); err != nil {
		status := http.StatusBadRequest
		var ve validator.ValidationErrors
		if errors.As(err, &ve) {
			status = http.StatusUnprocessableEntity
		}
		c.JSON(status, shared.ErrorBody{Error: err.Error()})
		return
	}
	c.JSON(http.StatusOK, &b)
}
