package covet

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SSE is a Server-Sent Events stream opened with Context.SSE. It frames
// events as the HTML standard says (multi-line data split into data: lines)
// and flushes each one. Resuming with Last-Event-ID, rooms and fan-out are
// the ws plugin's job; this is only the framing.
type SSE struct {
	c *Context
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

var errSSEField = errors.New("covet: SSE id and event must not contain a newline")

// SSE starts a Server-Sent Events response: status 200, Content-Type
// text/event-stream, no caching, no proxy buffering, headers flushed at once.
//
// From the call on, the request's context (c.Context()) is canceled when
// the client goes away or when the server begins to shut down (cause
// ErrDraining), so a loop that selects on c.Context().Done() ends promptly
// and lets the shutdown finish; Send then returns ErrDraining. Clients
// reconnect (with Last-Event-ID) to another instance.
func (c *Context) SSE() *SSE {
	c.drainingContext()
	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	c.Response().WriteHeader(http.StatusOK)
	_ = c.Response().FlushError()
	return &SSE{c: c}
}

// Send writes and flushes one event. It returns the request context's error
// once the client has gone away, or ErrDraining once the server is shutting
// down, so a producing loop can stop.
func (s *SSE) Send(e Event) error {
	if err := s.err(); err != nil {
		return err
	}
	if strings.ContainsAny(e.ID, "\r\n") || strings.ContainsAny(e.Event, "\r\n") {
		return errSSEField
	}
	var b strings.Builder
	if e.ID != "" {
		b.WriteString("id: " + e.ID + "\n")
	}
	if e.Event != "" {
		b.WriteString("event: " + e.Event + "\n")
	}
	if e.Retry > 0 {
		b.WriteString("retry: " + strconv.FormatInt(e.Retry.Milliseconds(), 10) + "\n")
	}
	data := strings.ReplaceAll(strings.ReplaceAll(e.Data, "\r\n", "\n"), "\r", "\n")
	for _, line := range strings.Split(data, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteByte('\n')
	return s.write(b.String())
}

// Comment writes a comment line, which clients ignore: a keep-alive.
func (s *SSE) Comment(text string) error {
	if err := s.err(); err != nil {
		return err
	}
	return s.write(": " + strings.NewReplacer("\r", " ", "\n", " ").Replace(text) + "\n\n")
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
	r := s.c.Response()
	if _, err := r.WriteString(frame); err != nil {
		return err
	}
	if err := r.FlushError(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
