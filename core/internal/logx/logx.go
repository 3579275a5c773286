// Package logx holds covet's logging glue: the context key of the request
// ID (covet.WithRequestID) and the slog handler that adds the ID to every
// record logged with the request's context. It does not import covet.
package logx

import (
	"context"
	"log/slog"
	"os"
)

// RequestIDKey is the context key of the request ID (a string).
type RequestIDKey struct{}

// Handler adds a request_id attribute, from the record's context, to the
// records that have none.
type Handler struct {
	H slog.Handler
}

// Enabled reports whether H handles records of level l.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.H.Enabled(ctx, l)
}

// Handle adds the request ID and hands the record to H.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	// The record's own attributes first: a record that has the ID (the
	// access log's) spares the walk up the context chain, and the
	// allocation of the ID boxed in an interface that Value returns.
	has := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "request_id" {
			has = true
			return false
		}
		return true
	})
	if !has {
		if id, _ := ctx.Value(RequestIDKey{}).(string); id != "" {
			r = r.Clone()
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.H.Handle(ctx, r)
}

// WithAttrs returns H with the attributes; one of them a request_id, the
// handler stops adding its own.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		if a.Key == "request_id" {
			return h.H.WithAttrs(as)
		}
	}
	return &Handler{H: h.H.WithAttrs(as)}
}

// WithGroup returns the handler for a group.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{H: h.H.WithGroup(name)}
}

// Default returns covet's default logger: JSON records to stderr in
// production, readable text (debug level included) in development.
func Default(dev bool) *slog.Logger {
	if dev {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, nil))
}

// EnvDevelopment reports whether COVET_ENV asks for development mode
// ("development" or "dev").
func EnvDevelopment() bool {
	switch os.Getenv("COVET_ENV") {
	case "development", "dev":
		return true
	}
	return false
}
