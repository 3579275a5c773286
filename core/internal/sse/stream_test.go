package sse

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

type rec struct {
	bytes.Buffer
	flushes  int
	writeErr error
}

func (r *rec) Write(b []byte) (int, error) {
	if r.writeErr != nil {
		return 0, r.writeErr
	}
	return r.Buffer.Write(b)
}
func (r *rec) WriteString(s string) (int, error) { return r.Write([]byte(s)) }
func (r *rec) FlushError() error                 { r.flushes++; return http.ErrNotSupported }

func TestCopy(t *testing.T) {
	w := &rec{}
	src := strings.Repeat("x", 100_000)
	if err := Copy(context.Background(), w, iotest.HalfReader(strings.NewReader(src)), Deadlines{}); err != nil {
		t.Fatal(err)
	}
	if w.String() != src || w.flushes < 2 {
		t.Fatalf("copied %d bytes with %d flushes", w.Len(), w.flushes)
	}
	// A failed write: the client went away.
	boom := errors.New("broken pipe")
	err := Copy(context.Background(), &rec{writeErr: boom}, strings.NewReader("abc"), Deadlines{})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, boom) {
		t.Fatalf("write failure: %v", err)
	}
	// A reader error ends the stream with it.
	if err := Copy(context.Background(), &rec{}, iotest.ErrReader(io.ErrClosedPipe), Deadlines{}); err != io.ErrClosedPipe {
		t.Fatalf("reader failure: %v", err)
	}
	// An ended context stops before reading, with its cause.
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("draining")
	cancel(stop)
	if err := Copy(ctx, &rec{}, strings.NewReader("abc"), Deadlines{}); err != stop {
		t.Fatalf("ended context: %v", err)
	}
}

func TestWrite(t *testing.T) {
	w := &rec{}
	if err := Write(w, Deadlines{}, "data: a\n\n"); err != nil || w.String() != "data: a\n\n" || w.flushes != 1 {
		t.Fatalf("Write: %v %q %d", err, w.String(), w.flushes)
	}
	boom := errors.New("gone")
	if err := Write(&rec{writeErr: boom}, Deadlines{}, "x"); err != boom {
		t.Fatalf("write failure: %v", err)
	}
}
