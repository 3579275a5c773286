package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"
)

// TxOption configures a transaction (Tx, Transactional).
type TxOption func(*txConfig)

type txConfig struct {
	opts    *sql.TxOptions
	retries int
	dbName  string
}

func newTxConfig(opts []TxOption) txConfig {
	c := txConfig{dbName: DefaultName}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithIsolation sets the transaction's isolation level.
func WithIsolation(level sql.IsolationLevel) TxOption {
	return func(c *txConfig) {
		if c.opts == nil {
			c.opts = &sql.TxOptions{}
		}
		c.opts.Isolation = level
	}
}

// WithReadOnly makes the transaction read-only.
func WithReadOnly() TxOption {
	return func(c *txConfig) {
		if c.opts == nil {
			c.opts = &sql.TxOptions{}
		}
		c.opts.ReadOnly = true
	}
}

// WithRetry runs the transaction function again, up to n more times, when
// the transaction fails with a serialization failure or a deadlock
// (IsRetryable), after a short randomized pause. Use it only for functions
// that are safe to run again: everything they did in the database was
// rolled back, but not what they did elsewhere. Ignored for nested
// transactions (savepoints), which cannot be retried alone.
func WithRetry(n int) TxOption { return func(c *txConfig) { c.retries = n } }

// WithTxDatabase makes the Transactional middleware use the named database
// (default: the primary).
func WithTxDatabase(name string) TxOption { return func(c *txConfig) { c.dbName = name } }

// Tx runs fn in a transaction on db: it commits when fn returns nil, rolls
// back when fn returns an error or panics (and panics again), and returns
// fn's error or the commit's. When db is already a transaction (orm.DB(c)
// inside the Transactional middleware, or the tx of an enclosing Tx), fn runs
// in a savepoint instead: its failure rolls back only what it did.
//
//	db, _ := orm.DB(c)
//	err := orm.Tx(ctx, db, func(tx bun.Tx) error {
//		if _, err := tx.NewInsert().Model(&order).Exec(ctx); err != nil {
//			return err
//		}
//		_, err := tx.NewUpdate().Model(&stock).WherePK().Exec(ctx)
//		return err
//	}, orm.WithRetry(3))
func Tx(ctx context.Context, db bun.IDB, fn func(tx bun.Tx) error, opts ...TxOption) error {
	cfg := newTxConfig(opts)
	if _, nested := db.(bun.Tx); nested {
		return runTx(ctx, db, cfg.opts, fn)
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = runTx(ctx, db, cfg.opts, fn)
		if err == nil || attempt >= cfg.retries || !IsRetryable(err) || ctx.Err() != nil {
			return err
		}
		pause := time.Duration(1<<min(attempt, 6)) * time.Millisecond
		t := time.NewTimer(pause + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func runTx(ctx context.Context, db bun.IDB, opts *sql.TxOptions, fn func(tx bun.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if done {
			return
		}
		// fn panicked: roll back, then let the panic go on.
		_ = tx.Rollback()
	}()
	if ferr := fn(tx); ferr != nil {
		done = true
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(ferr, fmt.Errorf("orm: rollback: %w", rerr))
		}
		return ferr
	}
	done = true
	return tx.Commit()
}
