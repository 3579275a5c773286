package stdmw

import (
	"context"
	"net/http"
)

func contextWithID(r *http.Request, id string) context.Context {
	return context.WithValue(r.Context(), ctxKey{}, id)
}

func idFrom(r *http.Request) string {
	id, _ := r.Context().Value(ctxKey{}).(string)
	return id
}
