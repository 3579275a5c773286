package orm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/uptrace/bun"
)

// reqState is the plugin's per-request state. It is also the request's
// context (wrapping the one it had), so one allocation carries both and the
// query hook, which sees only contexts, finds it.
type reqState struct {
	context.Context
	p       *Plugin
	timeout time.Duration
	queries atomic.Int32
	dbTime  atomic.Int64

	txs []activeTx // transactions opened by Transactional, innermost last

	mu       sync.Mutex
	cancels  []context.CancelFunc
	failedOp string
	// nulErr is the error of the last statement bun could not build because
	// a string held a NUL byte (see nulMarker).
	nulErr error
	// wrote lists the databases the request has written to (under mu;
	// anyWrite says whether it is empty): their reads stay on the primary
	// for the rest of the request, so it reads its own writes whatever the
	// replicas' lag.
	wrote    []*Database
	anyWrite atomic.Bool

	// With WithStickyWrites (sticky.go): the request, for its cookies and
	// response headers, and the bits of the databases whose reads the
	// request's sticky cookies keep on the primary (set before the handler
	// runs, read-only after).
	c          *covet.Context
	stickyMask uint64
}

// noteWrite records that the request wrote to d.
func (s *reqState) noteWrite(d *Database) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.wrote {
		if w == d {
			return
		}
	}
	s.wrote = append(s.wrote, d)
	s.anyWrite.Store(true)
}

// wroteTo reports whether the request has written to d.
func (s *reqState) wroteTo(d *Database) bool {
	if !s.anyWrite.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.wrote {
		if w == d {
			return true
		}
	}
	return false
}

type activeTx struct {
	db *Database
	tx bun.Tx
}

type stateCtxKey struct{}

var stateKey = covet.NewKey[*reqState]("orm.request")

// Value returns the state for its own key and defers to the wrapped context
// otherwise.
func (s *reqState) Value(key any) any {
	if key == (stateCtxKey{}) {
		return s
	}
	return s.Context.Value(key)
}

func stateFrom(ctx context.Context) *reqState {
	if ctx == nil {
		return nil
	}
	st, _ := ctx.Value(stateCtxKey{}).(*reqState)
	return st
}

func (s *reqState) addCancel(c context.CancelFunc) {
	s.mu.Lock()
	s.cancels = append(s.cancels, c)
	s.mu.Unlock()
}

func (s *reqState) noteFailure(op string, nul error) {
	s.mu.Lock()
	s.failedOp = op
	if nul != nil {
		s.nulErr = nul
	}
	s.mu.Unlock()
}

func (s *reqState) finish() (failedOp string) {
	s.mu.Lock()
	for _, c := range s.cancels {
		c()
	}
	s.cancels = nil
	failedOp = s.failedOp
	s.mu.Unlock()
	return failedOp
}

func (s *reqState) tx(d *Database) (bun.Tx, bool) {
	for i := len(s.txs) - 1; i >= 0; i-- {
		if s.txs[i].db == d {
			return s.txs[i].tx, true
		}
	}
	return bun.Tx{}, false
}

// requestMiddleware gives every request its state. The database errors a
// handler returns are mapped by the translator the plugin registers with
// the app (translate), wherever the error is handled, so the mapping does
// not depend on where this middleware sits among the others.
func (p *Plugin) requestMiddleware(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		st := &reqState{p: p, timeout: p.cfg.stmtTimeout}
		// Set first: the context taken after it carries the request's
		// values (Key.FromContext). SetContext copies the request only if
		// someone asks for it later.
		stateKey.Set(c, st)
		st.Context = c.Context()
		c.SetContext(st)
		if len(p.sticky) > 0 {
			st.startSticky(c)
		}
		err := next(c)
		st.finish()
		return err
	}
}

// translate maps a database error to an HTTP error (MapError), with the
// failing statement the request recorded; nil for other errors.
func (p *Plugin) translate(c *covet.Context, err error) *covet.Error {
	op := ""
	var nul error
	if st, ok := stateKey.Get(c); ok {
		st.mu.Lock()
		op, nul = st.failedOp, st.nulErr
		st.mu.Unlock()
	}
	if nul != nil && errors.Is(err, nul) {
		return covet.NewError(http.StatusUnprocessableEntity, "a string value contains a NUL character (U+0000), which the database does not accept").WithCause(err)
	}
	if e, ok := mapError(err, op).(*covet.Error); ok {
		return e
	}
	return nil
}

// errNotInstalled and errNotOpen are request-time misconfigurations: DB and
// Named return them as 500s (the cause is logged, never shown).
var (
	errNotInstalled = errors.New("orm: no database state on this request: install the orm plugin on the app serving it (app.Install(orm.New(...)))")
	errNotOpen      = errors.New("orm: database is not open (the app has not started: Run, Start or, in tests, covettest.Start; or it has stopped)")
)

func internal(err error) error {
	return covet.NewError(http.StatusInternalServerError, "").WithCause(err)
}

// DB returns the primary database for the request: the request's
// transaction when the Transactional middleware opened one, else the pooled
// database (with reads routed to replicas, if any). Pass c.Context() to the
// queries, so they carry the request's deadline, statement timeout and ID.
//
// A misconfiguration (the plugin not installed on the app serving the
// request, or the app not started) is an error: a 500 problem whose cause
// core logs, never a panic.
//
//	db, err := orm.DB(c)
//	if err != nil {
//		return err
//	}
//	err = db.NewSelect().Model(&u).Where("id = ?", id).Scan(c.Context())
func DB(c *covet.Context) (bun.IDB, error) { return Named(c, DefaultName) }

// Named returns the named database for the request, as DB does for the
// primary. A name no database has is an error (a 500 problem, logged).
func Named(c *covet.Context, name string) (bun.IDB, error) {
	st, ok := stateKey.Get(c)
	if !ok {
		return nil, internal(errNotInstalled)
	}
	d := st.p.byName[name]
	if d == nil {
		return nil, internal(fmt.Errorf("orm: no database named %q", name))
	}
	if tx, ok := st.tx(d); ok {
		return tx, nil
	}
	db := d.Bun()
	if db == nil {
		return nil, internal(fmt.Errorf("orm: database %q: %w", name, errNotOpen))
	}
	return db, nil
}

// FromContext returns the primary database for the request whose context
// ctx is (or derives from), as DB(c) does, for code that only has the
// context. It reports false outside a request served by the plugin.
func FromContext(ctx context.Context) (bun.IDB, bool) {
	st := stateFrom(ctx)
	if st == nil {
		return nil, false
	}
	d := st.p.primary
	if tx, ok := st.tx(d); ok {
		return tx, true
	}
	db := d.Bun()
	if db == nil {
		return nil, false
	}
	return db, true
}

// QueryCount returns how many statements the request ran so far (BEGIN,
// COMMIT, ROLLBACK and savepoints not included).
func QueryCount(c *covet.Context) int {
	if st, ok := stateKey.Get(c); ok {
		return int(st.queries.Load())
	}
	return 0
}

// QueryTime returns the time the request's statements took so far.
func QueryTime(c *covet.Context) time.Duration {
	if st, ok := stateKey.Get(c); ok {
		return time.Duration(st.dbTime.Load())
	}
	return 0
}

// StatementTimeout is middleware bounding each statement of the routes it
// wraps to d: a statement still running then is canceled (on the server too)
// and the request fails with 503. It overrides WithStatementTimeout.
func StatementTimeout(d time.Duration) covet.Middleware {
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			st, ok := stateKey.Get(c)
			if !ok {
				return internal(errNotInstalled)
			}
			prev := st.timeout
			st.timeout = d
			err := next(c)
			st.timeout = prev
			return err
		}
	}
}
