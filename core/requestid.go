package covet

import (
	"context"

	"github.com/covetgo/covet/core/internal/logx"
)

// requestIDKey is the context key of the request ID (core/internal/logx).
type requestIDKey = logx.RequestIDKey

// WithRequestID returns a context carrying a request ID; records logged with
// it through the app's logger carry a request_id attribute.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request ID a context carries, or "".
func RequestIDFrom(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
