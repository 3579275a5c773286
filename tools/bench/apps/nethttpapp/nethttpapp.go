// Package nethttpapp is the benchmark app on the standard library alone:
// http.ServeMux with Go 1.22 patterns, encoding/json, go-playground/validator
// for /echo, and hand-written middleware (the usual few lines each) plus
// rs/cors for /api. Its /echo is the "hand-written net/http + encoding/json +
// validator" baseline Covet's typed /echo is held to.
package nethttpapp

import (
	"net/http"
	"strconv"

	"github.com/covetgo/covet/tools/bench/apps/stdmw"
	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/go-playground/validator/v10"
)

// New returns the app.
func New() http.Handler {
	v := validator.New(validator.WithRequiredStructEnabled())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(shared.Plaintext))
	})
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		stdmw.WriteJSON(w, http.StatusOK, shared.Message{Message: shared.Plaintext})
	})
	user := func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			stdmw.WriteJSON(w, http.StatusBadRequest, shared.ErrorBody{Error: "id must be an integer"})
			return
		}
		stdmw.WriteJSON(w, http.StatusOK, shared.NewUser(id))
	}
	mux.HandleFunc("GET /users/{id}", user)
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		stdmw.Echo(w, r, v)
	})
	mux.HandleFunc("POST /echo2", func(w http.ResponseWriter, r *http.Request) {
		stdmw.EchoOf[shared.Echo2Body](w, r, v)
	})
	mux.HandleFunc("POST /upload", stdmw.Upload)

	api := stdmw.Realistic()
	mux.Handle("GET /api/users/{id}", api(http.HandlerFunc(user)))
	mux.Handle("GET /api/panic", api(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	return mux
}
