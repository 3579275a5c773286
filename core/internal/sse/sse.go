// Package sse formats server-sent events (the text/event-stream frames of
// covet.SSE), the write deadline a stream extends per write, and the
// writing itself: Context.Stream's copy loop and SSE's frames. covet's
// sse.go keeps SSE and Event. It does not import covet.
package sse

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrField is an id or event name with a line break.
var ErrField = errors.New("covet: SSE id and event must not contain a newline")

// Frame returns the frame of one event; each line of data becomes a data
// field (CR LF and CR count as line breaks).
func Frame(id, event string, retry time.Duration, data string) (string, error) {
	if strings.ContainsAny(id, "\r\n") || strings.ContainsAny(event, "\r\n") {
		return "", ErrField
	}
	var b strings.Builder
	if id != "" {
		b.WriteString("id: " + id + "\n")
	}
	if event != "" {
		b.WriteString("event: " + event + "\n")
	}
	if retry > 0 {
		b.WriteString("retry: " + strconv.FormatInt(retry.Milliseconds(), 10) + "\n")
	}
	data = strings.ReplaceAll(strings.ReplaceAll(data, "\r\n", "\n"), "\r", "\n")
	for _, line := range strings.Split(data, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteByte('\n')
	return b.String(), nil
}

// Jitter returns d plus a random part of up to half of d, so that the
// clients of an instance that goes away do not all reconnect in the same
// instant (each stream's retry: hint differs).
func Jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d + rand.N(d/2) // #nosec G404 -- spreads reconnections, no security use
}

// Comment returns a comment frame; line breaks in text become spaces.
func Comment(text string) string {
	return ": " + strings.NewReplacer("\r", " ", "\n", " ").Replace(text) + "\n\n"
}

// Deadlines keeps the server's WriteTimeout from ending a long stream:
// each write gets the timeout from its start.
type Deadlines struct {
	rc *http.ResponseController
	d  time.Duration
}

// Start sets the first write deadline on w, d from now (none when d is 0).
func Start(w http.ResponseWriter, d time.Duration) Deadlines {
	dl := Deadlines{rc: http.NewResponseController(w), d: d}
	dl.Extend()
	return dl
}

// Extend moves the write deadline to d from now.
func (s Deadlines) Extend() {
	if s.d > 0 {
		_ = s.rc.SetWriteDeadline(time.Now().Add(s.d))
	}
}
