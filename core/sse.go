package covet

import (
	"context"
	"net/http"
	"time"

	"github.com/covetgo/covet/core/internal/sse"
)

// SSE is a Server-Sent Events stream opened with Context.SSE: it frames
// events as the HTML standard says and flushes each one (resuming, rooms
// and fan-out are the ws plugin's job).
type SSE struct {
	c  *Context
	dl sse.Deadlines
}

// Event is one Server-Sent Event.
type Event struct {
	ID    string        // the last event ID browsers send back (Last-Event-ID); no newline
	Event string        // the event type (default "message"); no newline
	Data  string        // the payload; newlines split it into data: lines
	Retry time.Duration // how long the client waits before reconnecting, plus up to 50 % random jitter (clients of a dead instance do not all come back at once)
}

// SSE starts a Server-Sent Events response: 200, text/event-stream, no
// caching or proxy buffering, headers flushed at once. Each write gets
// ServerConfig.WriteTimeout. From the call on, c.Context() is canceled when
// the client goes away or the server begins to shut down (cause
// ErrDraining; Send then returns it), so a loop selecting on it ends
// promptly and clients reconnect elsewhere.
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

// Send writes and flushes one event. It returns the context's error once
// the client has gone away, or ErrDraining at shutdown.
func (s *SSE) Send(e Event) error {
	if err := s.err(); err != nil {
		return err
	}
	frame, err := sse.Frame(e.ID, e.Event, sse.Jitter(e.Retry), e.Data)
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

func (s *SSE) write(frame string) error { return sse.Write(s.c.Response(), s.dl, frame) }
