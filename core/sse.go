package covet

import (
	"context"
	"net/http"
	"time"

	"github.com/covetgo/covet/core/internal/sse"
)

// SSE is a Server-Sent Events stream opened with Context.SSE. It frames
// events as the HTML standard says (multi-line data split into data: lines)
// and flushes each one. Resuming with Last-Event-ID, rooms and fan-out are
// the ws plugin's job; this is only the framing.
type SSE struct {
	c  *Context
	dl sse.Deadlines
}

// Event is one Server-Sent Event.
type Event struct {
	// ID sets the stream's last event ID (sent back by browsers as
	// Last-Event-ID when they reconnect). It must not contain a newline.
	ID string
	// Event is the event type (default "message"). No newlines.
	Event string
	// Data is the payload; newlines are split into several data: lines.
	Data string
	// Retry tells the client how long to wait before reconnecting.
	Retry time.Duration
}

// SSE starts a Server-Sent Events response: status 200, Content-Type
// text/event-stream, no caching, no proxy buffering, headers flushed at once.
// Each write gets ServerConfig.WriteTimeout from its start, so the stream
// is not cut at WriteTimeout (keep-alive comments keep an idle one open).
//
// From the call on, the request's context (c.Context()) is canceled when
// the client goes away or when the server begins to shut down (cause
// ErrDraining), so a loop that selects on c.Context().Done() ends promptly
// and lets the shutdown finish; Send then returns ErrDraining. Clients
// reconnect (with Last-Event-ID) to another instance.
func (c *Context) SSE() *SSE {
	c.drainingContext()
	s := &SSE{c: c, dl: c.startStream()}
	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	c.Response().WriteHeader(http.StatusOK)
	_ = c.Response().FlushError()
	return s
}

// Send writes and flushes one event. It returns the request context's error
// once the client has gone away, or ErrDraining once the server is shutting
// down, so a producing loop can stop.
func (s *SSE) Send(e Event) error {
	if err := s.err(); err != nil {
		return err
	}
	frame, err := sse.Frame(e.ID, e.Event, e.Retry, e.Data)
	if err != nil {
		return err
	}
	return s.write(frame)
}

// Comment writes a comment line, which clients ignore: a keep-alive.
func (s *SSE) Comment(text string) error {
	if err := s.err(); err != nil {
		return err
	}
	return s.write(sse.Comment(text))
}

// err is the stream's end: the client's departure or ErrDraining.
func (s *SSE) err() error {
	ctx := s.c.req.Context()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

func (s *SSE) write(frame string) error {
	return sse.Write(s.c.Response(), s.dl, frame)
}
