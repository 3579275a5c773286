package authsql

import (
	"context"
	"fmt"
	"time"

	"github.com/covetgo/covet/plugins/auth"
)

// UseOnce implements auth.OnceStore (one-time login states across
// instances) in PREFIXonce: one INSERT whose conflict clause keeps a live
// record, so of concurrent calls for one key one inserts. On MySQL the
// connection must not set clientFoundRows (go-sql-driver's default), which
// would count the kept row as affected.
func (s *Store) UseOnce(ctx context.Context, key string, expires time.Time) (bool, error) {
	now := s.ms(s.now())
	r, err := s.exec(ctx, s.q.onceUse, key, s.ms(expires), now)
	if err != nil {
		return false, fmt.Errorf("authsql: once: %w", err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("authsql: once: %w", err)
	}
	s.maybeSweep(ctx, sweepOnce)
	return n > 0, nil
}

// UseOnce implements auth.OnceStore (Store.UseOnce).
func (x *Sessions) UseOnce(ctx context.Context, key string, expires time.Time) (bool, error) {
	return x.s.UseOnce(ctx, key, expires)
}

// UseOnce implements auth.OnceStore (Store.UseOnce).
func (r *Revocation) UseOnce(ctx context.Context, key string, expires time.Time) (bool, error) {
	return r.s.UseOnce(ctx, key, expires)
}

// UseOnce implements auth.OnceStore (Store.UseOnce).
func (r *Refresh) UseOnce(ctx context.Context, key string, expires time.Time) (bool, error) {
	return r.s.UseOnce(ctx, key, expires)
}

var (
	_ auth.OnceStore = (*Store)(nil)
	_ auth.OnceStore = (*Sessions)(nil)
	_ auth.OnceStore = (*Revocation)(nil)
	_ auth.OnceStore = (*Refresh)(nil)
)
