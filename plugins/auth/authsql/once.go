package authsql

import (
	"context"
	"fmt"
	"time"

	"github.com/covetgo/covet/plugins/auth"
)

// onceFloor is the shortest a one-time record is kept: an expiry already
// past is recorded until a second from now (as authredis does), so a
// record taken over always gets a later expiry than it had.
const onceFloor = time.Second

// UseOnce implements auth.OnceStore (one-time login states across
// instances) in PREFIXonce. It never reads the rows-affected count of an
// upsert, which depends on driver settings (go-sql-driver/mysql with
// clientFoundRows=true counts a kept row as affected):
//
//  1. A plain INSERT of the key. The primary key lets exactly one of
//     concurrent inserts succeed while no record of the key exists.
//  2. On a duplicate-key error (told by the driver's error code, see
//     duplicateKey), an UPDATE that takes the record over only while it
//     has expired: WHERE id = ? AND expires <= now, SET expires to a time
//     after now. A row it matches is therefore a row it changes, so the
//     count is the same whether the driver reports matched or changed
//     rows; and the UPDATE re-checks its WHERE on the row it locked
//     (InnoDB's locking read, PostgreSQL's re-evaluation of the updated
//     row, SQLite's single writer), so one of concurrent UPDATEs matches.
//  3. When the UPDATE matched nothing, the INSERT is tried once more: a
//     sweep may have deleted the expired record between 1 and 2. A second
//     duplicate-key error means the key is recorded: false.
//
// A fresh key costs one statement, a replay three.
func (s *Store) UseOnce(ctx context.Context, key string, expires time.Time) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	now := s.now()
	if floor := now.Add(onceFloor); expires.Before(floor) {
		expires = floor
	}
	for attempt := 0; ; attempt++ {
		_, err := s.execStmt(ctx, s.q.onceInsert, key, s.ms(expires))
		if err == nil {
			s.maybeSweep(ctx, sweepOnce)
			return true, nil
		}
		if !duplicateKey(s.dialect, err) {
			return false, fmt.Errorf("authsql: once: %w", err)
		}
		if attempt == 1 {
			return false, nil
		}
		r, err := s.execStmt(ctx, s.q.onceTakeOver, s.ms(expires), key, s.ms(now))
		if err != nil {
			return false, fmt.Errorf("authsql: once: %w", err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return false, fmt.Errorf("authsql: once: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
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
