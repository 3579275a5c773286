package middleware

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/internal/jsonx"
)

// AccessLogOption configures AccessLog.
type AccessLogOption func(*accessLogConfig)

type accessLogConfig struct {
	logger  *slog.Logger
	level   func(status int) slog.Level
	skip    func(c *covet.Context) bool
	message string
	// writer, when set, receives JSON lines directly instead of slog records.
	writer *lineWriter
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

// WithAccessLogWriter writes each record as one JSON line straight to w,
// without going through slog: the same keys as slog's JSON handler produces
// ("time", "level", "msg", then the attributes; "duration" in nanoseconds),
// at about a third of its cost (tools/bench measured slog's JSON
// formatting at ~10,000 instructions per request). Lines are written whole,
// one Write call each, serialized so w need not be safe for concurrent use.
// Levels below slog.LevelInfo are written too; use the skip option to drop
// records.
func WithAccessLogWriter(w io.Writer) AccessLogOption {
	return func(c *accessLogConfig) {
		if w != nil {
			c.writer = &lineWriter{w: w}
		}
	}
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
// RequestID runs before), remote_ip (the client: the peer, or the
// client a trusted proxy forwarded, as Context.ClientIP tells), user_agent.
//
// The status is the one the client got. An error returned by the handlers
// below is passed on, not rendered: it is rendered once, at the outermost
// point, after the app's error translators (covet.App.TranslateErrors) saw
// it, whatever the order middleware and plugins were added in; the record
// is then written when the request is over (Context.OnDone), with the
// final status and size. A panic passing through is
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
			returned = true
			if err != nil {
				// Logged once the error was rendered further out (a closure
				// per failed request; successful ones log here, for free).
				c.OnDone(func() {
					if cfg.skip == nil || !cfg.skip(c) {
						cfg.log(c, start, false)
					}
				})
				return err
			}
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
	if cfg.writer != nil {
		cfg.writer.write(cfg, c, start, status, panicking)
		return
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
		slog.String("remote_ip", c.ClientIP()),
		slog.String("user_agent", userAgent(r)),
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

// lineWriter writes access records as JSON lines.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (lw *lineWriter) write(cfg *accessLogConfig, c *covet.Context, start time.Time, status int, panicking bool) {
	end := time.Now()
	r := c.Request()
	route := ""
	if rt := c.Route(); rt != nil {
		route = rt.Pattern
	}
	bp := lineBufs.Get().(*[]byte)
	b := append((*bp)[:0], `{"time":"`...)
	b = appendRFC3339Nano(b, end)
	b = append(b, `","level":"`...)
	b = append(b, cfg.level(status).String()...)
	b = append(b, `","msg":`...)
	b = jsonx.AppendString(b, cfg.message)
	b = append(b, `,"method":`...)
	b = jsonx.AppendString(b, r.Method)
	b = append(b, `,"route":`...)
	b = jsonx.AppendString(b, route)
	b = append(b, `,"path":`...)
	b = jsonx.AppendString(b, r.URL.Path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, c.Response().Size(), 10)
	b = append(b, `,"duration":`...)
	b = strconv.AppendInt(b, int64(end.Sub(start)), 10)
	if id := c.RequestID(); id != "" {
		b = append(b, `,"request_id":`...)
		b = jsonx.AppendString(b, id)
	}
	b = append(b, `,"remote_ip":`...)
	b = jsonx.AppendString(b, c.ClientIP())
	b = append(b, `,"user_agent":`...)
	b = jsonx.AppendString(b, userAgent(r))
	if panicking {
		b = append(b, `,"panic":true`...)
	}
	b = append(b, "}\n"...)
	lw.mu.Lock()
	_, _ = lw.w.Write(b)
	lw.mu.Unlock()
	*bp = b
	lineBufs.Put(bp)
}

// secondText is the RFC 3339 text of one second in one location: the date
// and time ("2006-01-02T15:04:05") and the zone ("Z", "+01:00").
type secondText struct {
	sec        int64
	loc        *time.Location
	date, zone string
}

// lastSecond is the second the latest access log line was in: lines within
// one second share its text, so a line formats only its nanoseconds (the
// whole time took ~600 instructions per line, its fraction takes ~60).
var lastSecond atomic.Pointer[secondText]

// appendRFC3339Nano appends t as t.AppendFormat(b, time.RFC3339Nano) does
// (TestAppendRFC3339Nano), from the text of its second kept in lastSecond.
func appendRFC3339Nano(b []byte, t time.Time) []byte {
	sec, loc := t.Unix(), t.Location()
	st := lastSecond.Load()
	if st == nil || st.sec != sec || st.loc != loc {
		var buf [40]byte
		full := t.AppendFormat(buf[:0], time.RFC3339)
		if len(full) < 20 || full[10] != 'T' || (full[19] != 'Z' && full[19] != '+' && full[19] != '-') {
			return t.AppendFormat(b, time.RFC3339Nano) // a year outside 0000-9999
		}
		st = &secondText{sec: sec, loc: loc, date: string(full[:19]), zone: string(full[19:])}
		lastSecond.Store(st)
	}
	b = append(b, st.date...)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, st.zone...)
}

// userAgent is r.UserAgent() without Header.Get's canonicalization of the
// key, which is canonical already (~330 instructions a request).
func userAgent(r *http.Request) string {
	if v := r.Header["User-Agent"]; len(v) > 0 {
		return v[0]
	}
	return ""
}
