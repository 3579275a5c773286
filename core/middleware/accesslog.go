package middleware

import (
	"log/slog"
	"net/http"
	"time"

	covet "github.com/covetgo/covet/core"
)

// AccessLogOption configures AccessLog.
type AccessLogOption func(*accessLogConfig)

type accessLogConfig struct {
	logger  *slog.Logger
	level   func(status int) slog.Level
	skip    func(c *covet.Context) bool
	message string
}

// WithAccessLogger sets the logger records go to (default: the app's logger,
// JSON in production and text in development).
func WithAccessLogger(l *slog.Logger) AccessLogOption {
	return func(c *accessLogConfig) { c.logger = l }
}

// WithAccessLogLevel sets the level of a request's record from its status
// (default DefaultAccessLogLevel: error for 5xx, warning for 4xx, info else).
func WithAccessLogLevel(level func(status int) slog.Level) AccessLogOption {
	return func(c *accessLogConfig) {
		if level != nil {
			c.level = level
		}
	}
}

// WithAccessLogSkip leaves out the requests for which skip returns true. It
// runs after the handler, so it may look at the route and the status: for
// example, skip successful health checks but keep failing ones.
func WithAccessLogSkip(skip func(c *covet.Context) bool) AccessLogOption {
	return func(c *accessLogConfig) { c.skip = skip }
}

// WithAccessLogMessage sets the records' message (default "request").
func WithAccessLogMessage(msg string) AccessLogOption {
	return func(c *accessLogConfig) { c.message = msg }
}

// DefaultAccessLogLevel is the default level for a status: error for 5xx,
// warning for 4xx, info for everything else.
func DefaultAccessLogLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// AccessLog writes one log record per request, after it was served, with
// these attributes: method, route (the matched pattern, "" when no route
// matched), path, status, bytes (body bytes sent), duration, request_id (when
// RequestID runs before), remote_ip (the direct peer), user_agent.
//
// The status is the one the client got: an error returned by the handlers
// below is handed to the app's error handler (c.HandleError) before the
// record is written, and AccessLog returns nil. A panic passing through is
// logged with status 500 (unless a status was already sent) and goes on up;
// put Recover below AccessLog to turn panics into ordinary 500s.
func AccessLog(opts ...AccessLogOption) covet.Middleware {
	cfg := accessLogConfig{level: DefaultAccessLogLevel, message: "request"}
	for _, o := range opts {
		o(&cfg)
	}
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			start := time.Now()
			returned := false
			defer func() {
				if !returned {
					// A panic is unwinding: log it without stopping it.
					cfg.log(c, start, true)
				}
			}()
			err := next(c)
			if err != nil {
				c.HandleError(err)
			}
			returned = true
			if cfg.skip != nil && cfg.skip(c) {
				return nil
			}
			cfg.log(c, start, false)
			return nil
		}
	}
}

func (cfg *accessLogConfig) log(c *covet.Context, start time.Time, panicking bool) {
	res := c.Response()
	status := res.Status()
	if status == 0 {
		// Nothing was sent: net/http answers 200 with an empty body, unless
		// a panic is unwinding, which ends in a 500 or an aborted response.
		status = http.StatusOK
		if panicking {
			status = http.StatusInternalServerError
		}
	}
	logger := cfg.logger
	if logger == nil {
		logger = c.App().Logger()
	}
	r := c.Request()
	ctx := r.Context()
	level := cfg.level(status)
	h := logger.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	end := time.Now()
	route := ""
	if rt := c.Route(); rt != nil {
		route = rt.Pattern
	}
	var buf [11]slog.Attr
	attrs := append(buf[:0],
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int64("bytes", res.Size()),
		slog.Duration("duration", end.Sub(start)),
	)
	if id := c.RequestID(); id != "" {
		attrs = append(attrs, slog.String("request_id", id))
	}
	attrs = append(attrs,
		slog.String("remote_ip", c.RemoteIP()),
		slog.String("user_agent", r.UserAgent()),
	)
	if panicking {
		attrs = append(attrs, slog.Bool("panic", true))
	}
	// The record goes to the handler directly, as slog's documentation shows
	// for wrappers: Logger.LogAttrs would read the clock again and walk the
	// stack for a source position, which would be this function anyway.
	rec := slog.NewRecord(end, level, cfg.message, 0)
	rec.AddAttrs(attrs...)
	_ = h.Handle(ctx, rec)
}
