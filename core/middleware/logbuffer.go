package middleware

import (
	"context"
	"io"
	"sync"
	"time"

	covet "github.com/covetgo/covet/core"
)

// Defaults of BufferedLogWriter.
const (
	DefaultLogFlushInterval = 100 * time.Millisecond
	DefaultLogBufferSize    = 32 << 10
)

// BufferedLogOption configures a BufferedLogWriter.
type BufferedLogOption func(*bufferedLogConfig)

type bufferedLogConfig struct {
	interval time.Duration
	size     int
	name     string
}

// WithLogFlushInterval sets how long a line may wait in the buffer before it
// is written (default DefaultLogFlushInterval, 100 ms): the most a SIGKILL or
// a crash can lose. A value <= 0 keeps the default.
func WithLogFlushInterval(d time.Duration) BufferedLogOption {
	return func(c *bufferedLogConfig) {
		if d > 0 {
			c.interval = d
		}
	}
}

// WithLogBufferSize sets how many bytes the buffer holds before it is written
// at once (default DefaultLogBufferSize, 32 KiB). A value <= 0 keeps the
// default.
func WithLogBufferSize(n int) BufferedLogOption {
	return func(c *bufferedLogConfig) {
		if n > 0 {
			c.size = n
		}
	}
}

// WithLogBufferName sets the writer's plugin name (default "logbuffer"), so
// that an app can install two of them.
func WithLogBufferName(name string) BufferedLogOption {
	return func(c *bufferedLogConfig) {
		if name != "" {
			c.name = name
		}
	}
}

// BufferedLogWriter is an io.Writer for logs that gathers lines in memory and
// writes them to the underlying writer in batches: when the buffer is full
// (32 KiB by default), when the oldest line has waited the flush interval
// (100 ms by default), on Flush, and at shutdown. A request's access log line
// then costs a copy instead of a write(2) system call; at a thousand requests
// a second on stderr that is about a hundred times fewer calls.
//
// Install it in the app so that the lines still in the buffer are written
// when the app stops (after the in-flight requests finished, so their lines
// are in), and use it for the access log, or for the app's slog handler:
//
//	logs := middleware.NewBufferedLogWriter(os.Stderr)
//	app.Install(logs) // Stop flushes
//	app.Use(middleware.AccessLog(middleware.WithAccessLogWriter(logs)))
//	// or: covet.New(covet.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
//
// The trade-off: a process killed without a graceful shutdown (SIGKILL, an
// out-of-memory kill, a fatal runtime error, os.Exit before App.Stop) loses
// the lines of at most the last flush interval; a graceful shutdown (Run's
// SIGINT/SIGTERM, App.Stop) loses none. Without an app, call Close (or
// Flush) before the process exits.
//
// Each Write is copied whole into the buffer (a write larger than the buffer
// goes straight through, after the buffered lines), so a writer that gets
// whole lines per Write (AccessLog's, slog's handlers) never sees a line cut
// in two. Lines keep their order. It is safe for concurrent use; writes to
// the underlying writer are serialized. Write never blocks on the underlying
// writer except when the buffer is full; an error of the underlying writer
// is returned by the next Write, Flush or Stop.
//
// The timer is armed on the first line after a flush, and no goroutine runs
// while nothing is buffered. After Stop (or Close) lines are written
// straight through, unbuffered, so a line logged late in a shutdown is not
// lost; Start turns buffering on again.
type BufferedLogWriter struct {
	cfg bufferedLogConfig

	mu      sync.Mutex
	w       io.Writer
	buf     []byte      // the lines waiting
	spare   []byte      // the batch being written, or free
	timer   *time.Timer // flushes buf; nil until the first line
	armed   bool        // timer will fire
	through bool        // stopped: write straight through
	err     error       // the underlying writer's last error, until reported

	wmu sync.Mutex // held while writing to w: batches in order
}

// NewBufferedLogWriter returns a BufferedLogWriter over w (for example
// os.Stderr), buffering from the start.
func NewBufferedLogWriter(w io.Writer, opts ...BufferedLogOption) *BufferedLogWriter {
	cfg := bufferedLogConfig{interval: DefaultLogFlushInterval, size: DefaultLogBufferSize, name: "logbuffer"}
	for _, o := range opts {
		o(&cfg)
	}
	return &BufferedLogWriter{cfg: cfg, w: w}
}

// Write buffers p (one line or more) and returns len(p). An error is that of
// an earlier write to the underlying writer (reported once); p is buffered
// all the same.
func (b *BufferedLogWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	err := b.err
	b.err = nil
	if b.through || len(p) > b.cfg.size {
		// Straight through, after what is buffered.
		b.flushLocked() // unlocks b.mu
		b.wmu.Lock()
		_, werr := b.w.Write(p)
		b.wmu.Unlock()
		if werr != nil {
			err = werr
		}
		return len(p), err
	}
	if len(b.buf)+len(p) > b.cfg.size {
		b.flushLocked() // unlocks b.mu
		b.mu.Lock()
	}
	if b.buf == nil {
		b.buf = make([]byte, 0, b.cfg.size)
	}
	b.buf = append(b.buf, p...)
	if !b.armed {
		b.armed = true
		if b.timer == nil {
			b.timer = time.AfterFunc(b.cfg.interval, b.tick)
		} else {
			b.timer.Reset(b.cfg.interval)
		}
	}
	b.mu.Unlock()
	return len(p), err
}

// tick is the timer's flush.
func (b *BufferedLogWriter) tick() {
	b.mu.Lock()
	b.armed = false
	b.flushLocked()
}

// flushLocked writes the buffered lines, with b.mu held, and unlocks b.mu:
// it takes the write lock before letting go of b.mu, so batches reach w in
// the order they were filled, while new lines fill the other buffer.
func (b *BufferedLogWriter) flushLocked() {
	if len(b.buf) == 0 {
		b.mu.Unlock()
		return
	}
	b.wmu.Lock() // the previous batch (in spare) is written
	batch := b.buf
	b.buf, b.spare = b.spare[:0], batch
	b.mu.Unlock()
	_, err := b.w.Write(batch)
	b.wmu.Unlock()
	if err != nil {
		b.mu.Lock()
		b.err = err
		b.mu.Unlock()
	}
}

// Flush writes the buffered lines now and returns the underlying writer's
// error, if a write failed since the last report.
func (b *BufferedLogWriter) Flush() error {
	b.mu.Lock()
	b.flushLocked()
	b.mu.Lock()
	err := b.err
	b.err = nil
	b.mu.Unlock()
	return err
}

// Close flushes the buffered lines and stops buffering: later writes go
// straight to the underlying writer, which is not closed. Use it when the
// writer is not installed in an app (whose Stop does the same).
func (b *BufferedLogWriter) Close() error {
	b.mu.Lock()
	b.through = true
	if b.timer != nil {
		b.timer.Stop()
		b.armed = false
	}
	b.mu.Unlock()
	return b.Flush()
}

// Name returns the plugin name, "logbuffer" unless WithLogBufferName set
// another.
func (b *BufferedLogWriter) Name() string { return b.cfg.name }

// Install adds nothing to the app: the writer is installed only so that the
// app's Stop flushes it.
func (b *BufferedLogWriter) Install(*covet.App) error { return nil }

// Start turns buffering on (again, after a Stop).
func (b *BufferedLogWriter) Start(context.Context) error {
	b.mu.Lock()
	b.through = false
	b.mu.Unlock()
	return nil
}

// Stop flushes the buffered lines and writes later ones straight through
// (Close). The app calls it after the in-flight requests finished.
func (b *BufferedLogWriter) Stop(context.Context) error { return b.Close() }

// Cleanup flushes what is buffered (after a failed Start or Install too).
func (b *BufferedLogWriter) Cleanup() error { return b.Close() }

var (
	_ io.Writer     = (*BufferedLogWriter)(nil)
	_ covet.Plugin  = (*BufferedLogWriter)(nil)
	_ covet.Starter = (*BufferedLogWriter)(nil)
	_ covet.Stopper = (*BufferedLogWriter)(nil)
	_ covet.Cleaner = (*BufferedLogWriter)(nil)
)
