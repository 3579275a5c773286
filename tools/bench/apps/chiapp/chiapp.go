// Package chiapp is the benchmark app on go-chi/chi v5: encoding/json and
// go-playground/validator in the handlers, chi's own middleware (Recoverer,
// RequestID, RequestLogger, SetHeader) and go-chi/cors on the /api group.
package chiapp

import (
	"io"
	"log"
	"net/http"
	"strconv"

	"github.com/covetgo/covet/tools/bench/apps/stdmw"
	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/cors"
	"github.com/go-playground/validator/v10"
)

// New returns the app.
func New() http.Handler {
	v := validator.New(validator.WithRequiredStructEnabled())
	r := chi.NewRouter()
	r.Get("/plaintext", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(shared.Plaintext))
	})
	r.Get("/json", func(w http.ResponseWriter, _ *http.Request) {
		stdmw.WriteJSON(w, http.StatusOK, shared.Message{Message: shared.Plaintext})
	})
	user := func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(chi.URLParam(r, "id"))
		if err != nil {
			stdmw.WriteJSON(w, http.StatusBadRequest, shared.ErrorBody{Error: "id must be an integer"})
			return
		}
		stdmw.WriteJSON(w, http.StatusOK, shared.NewUser(id))
	}
	r.Get("/users/{id}", user)
	r.Post("/echo", func(w http.ResponseWriter, r *http.Request) { stdmw.Echo(w, r, v) })
	r.Post("/echo2", func(w http.ResponseWriter, r *http.Request) { stdmw.EchoOf[shared.Echo2Body](w, r, v) })
	r.Post("/upload", stdmw.Upload)

	r.Route("/api", func(r chi.Router) {
		r.Use(middleware.RequestID)
		r.Use(middleware.RequestLogger(&middleware.DefaultLogFormatter{Logger: log.New(io.Discard, "", log.LstdFlags), NoColor: true}))
		r.Use(middleware.Recoverer)
		r.Use(cors.Handler(cors.Options{AllowedOrigins: []string{shared.AllowedOrigin}}))
		for _, kv := range shared.SecurityHeaders {
			r.Use(middleware.SetHeader(kv[0], kv[1]))
		}
		r.Use(echoRequestID)
		r.Get("/users/{id}", user)
		r.Get("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	})
	return r
}

// echoRequestID sends chi's request ID back in X-Request-ID (chi's
// RequestID only puts it on the context).
func echoRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(middleware.RequestIDHeader, middleware.GetReqID(r.Context()))
		next.ServeHTTP(w, r)
	})
}
