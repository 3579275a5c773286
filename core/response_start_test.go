package covet_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
)

// startRecorder is a writer installed with Response.SetWriter that has a
// StartResponse method (as middleware.Timeout's guard does): it records
// the Content-Type when it is told the response starts.
type startRecorder struct {
	http.ResponseWriter
	starts      int
	typeAtStart string
}

func (s *startRecorder) StartResponse() {
	s.starts++
	s.typeAtStart = s.Header().Get("Content-Type")
}

// TestResponseStartsWrappingWriter: c.Text, c.JSON and c.Blob tell a writer
// installed with SetWriter that the response starts, once, before they set
// their Content-Type (so a writer that keeps the handlers' headers apart
// until then can give them the real map).
func TestResponseStartsWrappingWriter(t *testing.T) {
	var sr *startRecorder
	wrap := func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			sr = &startRecorder{ResponseWriter: c.Response().Writer()}
			c.Response().SetWriter(sr)
			return next(c)
		}
	}
	app := covet.New(covet.WithDevelopment(false))
	app.GET("/text", func(c *covet.Context) error { return c.Text(http.StatusOK, "t") }, wrap)
	app.GET("/json", func(c *covet.Context) error { return c.JSON(http.StatusOK, 1) }, wrap)
	app.GET("/blob", func(c *covet.Context) error { return c.Blob(http.StatusOK, "image/png", nil) }, wrap)
	app.GET("/written", func(c *covet.Context) error {
		c.Response().WriteHeader(http.StatusAccepted)
		return c.Text(http.StatusOK, "after the status")
	}, wrap)
	for path, want := range map[string]int{"/text": 1, "/json": 1, "/blob": 1, "/written": 0} {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if sr.starts != want || sr.typeAtStart != "" {
			t.Errorf("%s: StartResponse called %d times (Content-Type %q then), want %d, before the Content-Type",
				path, sr.starts, sr.typeAtStart, want)
		}
	}
}
