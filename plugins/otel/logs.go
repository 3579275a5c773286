package otel

import (
	"context"
	"log/slog"

	covet "github.com/covetgo/covet/core"
	"go.opentelemetry.io/otel/trace"
)

// LogHandler wraps h so that every record logged with a context that
// carries a span gets trace_id and span_id attributes, beside the
// request_id core adds: a log line leads to its trace and back. Give the
// app a logger built on it:
//
//	app := covet.New(covet.WithLogger(slog.New(otel.LogHandler(slog.NewJSONHandler(os.Stdout, nil)))))
//
// core/middleware.AccessLog logs with the request's context, so its lines
// carry both IDs when the tracing middleware runs outside it (Install puts
// it outermost).
func LogHandler(h slog.Handler) slog.Handler { return &logHandler{h: h} }

type logHandler struct{ h slog.Handler }

func (l *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return l.h.Enabled(ctx, level)
}

func (l *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return l.h.Handle(ctx, r)
}

func (l *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{h: l.h.WithAttrs(as)}
}

func (l *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{h: l.h.WithGroup(name)}
}

// TraceID returns the request's trace ID in hex when its span is sampled,
// else "": for plugins/metrics' WithExemplars, or for a response header.
func TraceID(c *covet.Context) string {
	sc := trace.SpanContextFromContext(c.Context())
	if !sc.IsSampled() {
		return ""
	}
	return sc.TraceID().String()
}
