package ratelimit

import (
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// documentResponses documents the 429 a limited route answers, with its
// headers, for generated documentation (covet.App.DocumentResponses): a
// route is limited when it is not exempt and has policies of its own
// (Apply) or the limiter has a default policy.
func (l *Limiter) documentResponses(ri *covet.RouteInfo) []covet.ResponseDoc {
	if ex, _ := exemptKey.Get(ri); ex {
		return nil
	}
	if own, ok := policiesKey.Get(ri); ok {
		if len(own) == 0 {
			return nil
		}
	} else if l.def == nil {
		return nil
	}
	return []covet.ResponseDoc{{
		Status:      http.StatusTooManyRequests,
		Description: "Rate limit exceeded: retry after the number of seconds in Retry-After.",
		Headers: []covet.HeaderDoc{
			{Name: "Retry-After", Description: "Seconds until the request may be retried."},
			{Name: "RateLimit", Description: "The remaining quota and reset time of the limits that apply (IETF draft)."},
			{Name: "RateLimit-Policy", Description: "The limits that apply to this route (IETF draft)."},
		},
	}}
}
