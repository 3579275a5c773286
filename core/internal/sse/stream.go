package sse

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// Writer is the response a stream writes to (a *covet.Response).
type Writer interface {
	io.Writer
	io.StringWriter
	FlushError() error
}

// Copy copies rd to w for covet.Context.Stream: each chunk read is written
// with its write deadline extended (dl) and flushed, so data reaches the
// client as it is produced. It stops when rd is exhausted, with ctx's
// cause once ctx ends (checked between reads), with context.Canceled
// joined to the write error when a write fails (the client went away), or
// with rd's error.
func Copy(ctx context.Context, w Writer, rd io.Reader, dl Deadlines) error {
	buf := make([]byte, 32*1024)
	for {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		n, err := rd.Read(buf)
		if n > 0 {
			dl.Extend()
			if _, werr := w.Write(buf[:n]); werr != nil {
				return errors.Join(context.Canceled, werr)
			}
			if ferr := w.FlushError(); ferr != nil && ferr != http.ErrNotSupported {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Write sends one frame with its write deadline extended (dl) and flushes
// it; a writer that cannot flush is not an error.
func Write(w Writer, dl Deadlines, frame string) error {
	dl.Extend()
	if _, err := w.WriteString(frame); err != nil {
		return err
	}
	if err := w.FlushError(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
