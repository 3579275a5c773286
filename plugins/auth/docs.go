package auth

import (
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// documentResponses documents the 401 and 403 a guarded route answers,
// for generated documentation (covet.App.DocumentResponses): 401 with the
// WWW-Authenticate challenge of the guard's schemes, and 403 when the guard
// requires scopes or roles.
func documentResponses(ri *covet.RouteInfo) []covet.ResponseDoc {
	g, ok := guardKey.Get(ri)
	if !ok || g == nil {
		return nil
	}
	desc := "Authentication is required: no valid credentials were given."
	if g.optional {
		desc = "The credentials given are not valid (the route also serves anonymous requests)."
	}
	out := []covet.ResponseDoc{{
		Status:      http.StatusUnauthorized,
		Description: desc,
		Headers:     []covet.HeaderDoc{{Name: "WWW-Authenticate", Description: "The schemes the route accepts: " + g.challenge + "."}},
	}}
	if len(g.scopes) > 0 || len(g.roles) > 0 {
		out = append(out, covet.ResponseDoc{
			Status:      http.StatusForbidden,
			Description: "The principal lacks a required scope or role.",
		})
	}
	return out
}
