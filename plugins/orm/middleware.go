package orm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"

	covet "github.com/covetgo/covet/core"
	"github.com/uptrace/bun"
)

// Transactional is middleware that runs each request of the routes it wraps
// in a transaction on the primary database (or WithTxDatabase's): DB(c)
// returns it. The transaction commits when the handler answers 1xx–3xx and
// rolls back when the handler returns an error, panics, or answers 4xx/5xx.
//
// The response is held back until the commit succeeded, so a client never
// sees a success for work that was then lost: if the commit fails, the
// written response is discarded and the request fails (503, 409 for a
// serialization failure, ...). A handler error is rolled back before the
// error response is written. Streaming responses are therefore buffered
// whole on these routes.
//
// Waiting for a connection is bounded by the pool timeout (WithPoolTimeout),
// after which the request fails with 503. On SQLite, write transactions
// also queue for the database's single write turn within that timeout.
// Used on a route inside a group
// that is already transactional, it opens a savepoint. WithRetry does not
// apply here (a request cannot be replayed); use Tx with WithRetry inside
// the handler for retryable work.
func Transactional(opts ...TxOption) covet.Middleware {
	cfg := newTxConfig(opts)
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			st, ok := stateKey.Get(c)
			if !ok {
				return internal(errNotInstalled)
			}
			d := st.p.byName[cfg.dbName]
			if d == nil {
				return internal(fmt.Errorf("orm: Transactional: no database named %q", cfg.dbName))
			}
			ctx := c.Context()
			var tx bun.Tx
			var conn bun.Conn
			var err error
			if outer, ok := st.tx(d); ok {
				tx, err = outer.BeginTx(ctx, nil)
			} else {
				var release func()
				conn, release, err = acquire(ctx, d, cfg.opts == nil || !cfg.opts.ReadOnly)
				if err == nil {
					defer release()
					tx, err = conn.BeginTx(ctx, cfg.opts)
					if err != nil {
						_ = conn.Close()
					}
				}
			}
			if err != nil {
				return err
			}
			if conn.Conn != nil {
				defer conn.Close()
			}
			st.txs = append(st.txs, activeTx{db: d, tx: tx})
			defer func() { st.txs = st.txs[:len(st.txs)-1] }()
			return runBuffered(c, tx, next)
		}
	}
}

// acquire takes a connection from the pool, waiting at most the pool
// timeout. On SQLite, which has one writer at a time, a write transaction
// also takes the database's write turn first: waiting in a Go queue is fair
// and fast, where SQLite's busy handler polls and may give up.
func acquire(ctx context.Context, d *Database, write bool) (bun.Conn, func(), error) {
	actx, cancel := context.WithTimeout(ctx, d.cfg.poolTimeout)
	defer cancel()
	timeout := func(err error) error {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return fmt.Errorf("orm: database %q: %w (%s)", d.name, ErrPoolTimeout, d.cfg.poolTimeout)
		}
		return err
	}
	release := func() {}
	if write && d.writeTurn != nil {
		select {
		case d.writeTurn <- struct{}{}:
			release = func() { <-d.writeTurn }
		case <-actx.Done():
			return bun.Conn{}, nil, timeout(actx.Err())
		}
	}
	db := d.Bun()
	if db == nil {
		release()
		return bun.Conn{}, nil, internal(fmt.Errorf("orm: database %q: %w", d.name, errNotOpen))
	}
	conn, err := db.Conn(actx)
	if err != nil {
		release()
		return bun.Conn{}, nil, timeout(err)
	}
	return conn, release, nil
}

// txWriter holds the response back until the transaction is decided. It
// can be hijacked (a WebSocket upgrade on a transactional route): the
// connection is the real one, and the transaction commits.
type txWriter struct {
	header   http.Header
	status   int
	body     bytes.Buffer
	orig     http.ResponseWriter
	hijacked bool
}

// Hijack takes over the connection from the writer outside.
func (w *txWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.orig).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}

// ReadFrom buffers src (io.Copy on the Response uses it).
func (w *txWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.ReadFrom(src)
}

var txWriters = sync.Pool{New: func() any { return new(txWriter) }}

func (w *txWriter) Header() http.Header { return w.header }

func (w *txWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *txWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// Flush does nothing: the response waits for the commit.
func (w *txWriter) Flush() {}

// runBuffered runs next with the response buffered, and decides the
// transaction from the outcome.
func runBuffered(c *covet.Context, tx bun.Tx, next covet.HandlerFunc) (err error) {
	res := c.Response()
	orig := res.Writer()
	w := txWriters.Get().(*txWriter)
	w.orig = orig
	w.header = orig.Header().Clone()
	if w.header == nil {
		w.header = http.Header{}
	}
	res.SetWriter(w)
	// discard forgets what the handler wrote, so the error handler can
	// answer afresh on the real writer.
	discard := func() {
		res.Reset(orig) // keeps HEAD and re-arms Response.Before hooks
	}
	defer func() {
		w.header, w.status, w.orig, w.hijacked = nil, 0, nil, false
		w.body.Reset()
		if w.body.Cap() <= 64<<10 {
			txWriters.Put(w)
		}
	}()
	decided := false
	defer func() {
		if decided {
			return
		}
		// The handler panicked: roll back, answer afresh, panic on.
		_ = tx.Rollback()
		discard()
	}()
	herr := next(c)
	decided = true
	if herr != nil {
		rerr := tx.Rollback()
		discard()
		if rerr != nil && !errors.Is(rerr, context.Canceled) {
			c.Logger().WarnContext(c.Context(), "orm: rollback failed", "error", rerr.Error())
		}
		return herr
	}
	if w.hijacked {
		// The connection is the handler's: nothing to send, commit.
		res.SetWriter(orig)
		if cerr := tx.Commit(); cerr != nil {
			c.Logger().WarnContext(c.Context(), "orm: commit after hijack failed", "error", cerr.Error())
		}
		return nil
	}
	status := w.status
	if status == 0 {
		status = res.Status()
	}
	if status >= 400 {
		if rerr := tx.Rollback(); rerr != nil {
			c.Logger().WarnContext(c.Context(), "orm: rollback failed", "error", rerr.Error())
		}
	} else if cerr := tx.Commit(); cerr != nil {
		discard()
		return cerr
	}
	// Send what the handler wrote.
	res.SetWriter(orig)
	if w.status == 0 {
		return nil
	}
	h := orig.Header()
	clear(h)
	for k, v := range w.header {
		h[k] = v
	}
	orig.WriteHeader(w.status)
	if w.body.Len() > 0 {
		if _, err := orig.Write(w.body.Bytes()); err != nil {
			return nil // the client went away; nothing to answer
		}
	}
	return nil
}
