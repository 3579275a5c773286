// Package httprouterapp is the benchmark app on julienschmidt/httprouter
// v1.3.0 and net/http: the reference every ratio is taken against. Handlers
// are those of the net/http app (encoding/json, go-playground/validator,
// hand-written middleware with rs/cors).
package httprouterapp

import (
	"net/http"
	"strconv"

	"github.com/covetgo/covet/tools/bench/apps/stdmw"
	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/go-playground/validator/v10"
	"github.com/julienschmidt/httprouter"
)

// New returns the app.
func New() http.Handler {
	v := validator.New(validator.WithRequiredStructEnabled())
	r := httprouter.New()
	r.GET("/plaintext", func(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(shared.Plaintext))
	})
	r.GET("/json", func(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
		stdmw.WriteJSON(w, http.StatusOK, shared.Message{Message: shared.Plaintext})
	})
	r.GET("/users/:id", func(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
		writeUser(w, ps.ByName("id"))
	})
	r.POST("/echo", func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		stdmw.Echo(w, r, v)
	})
	r.POST("/echo2", func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		stdmw.EchoOf[shared.Echo2Body](w, r, v)
	})
	r.POST("/upload", func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		stdmw.Upload(w, r)
	})

	api := stdmw.Realistic()
	r.Handler(http.MethodGet, "/api/users/:id", api(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeUser(w, httprouter.ParamsFromContext(r.Context()).ByName("id"))
	})))
	r.Handler(http.MethodGet, "/api/panic", api(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	return r
}

func writeUser(w http.ResponseWriter, raw string) {
	id, err := strconv.Atoi(raw)
	if err != nil {
		stdmw.WriteJSON(w, http.StatusBadRequest, shared.ErrorBody{Error: "id must be an integer"})
		return
	}
	stdmw.WriteJSON(w, http.StatusOK, shared.NewUser(id))
}
