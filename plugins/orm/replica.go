package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// replicaSet routes read-only bun queries to healthy replicas (a
// bun.ConnResolver). A replica whose query fails for a lost connection is
// set aside at once and the query runs on the primary; a background check
// brings it back when it answers.
type replicaSet struct {
	d       *Database
	all     []*replica
	next    atomic.Uint64
	primary *sql.DB

	once    sync.Once
	stop    chan struct{}
	stopped sync.WaitGroup
	closed  atomic.Bool
}

type replica struct {
	set     *replicaSet
	where   string
	dsn     string
	db      *sql.DB
	healthy atomic.Bool
	lastErr atomic.Pointer[string]
}

func newReplicaSet(d *Database, dsns []string) (*replicaSet, error) {
	rs := &replicaSet{d: d, stop: make(chan struct{})}
	for i, dsn := range dsns {
		o, err := openSQL(dsn, d.p.cfg.drivers)
		if err != nil {
			_ = rs.close()
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		if o.dialect != d.dialect {
			_ = o.sqldb.Close()
			_ = rs.close()
			return nil, fmt.Errorf("replica %d is %s, the database is %s", i+1, o.dialect, d.dialect)
		}
		configurePool(o, d.cfg)
		r := &replica{set: rs, where: o.where, dsn: dsn, db: o.sqldb}
		r.healthy.Store(true)
		rs.all = append(rs.all, r)
	}
	return rs, nil
}

// ResolveConn implements bun.ConnResolver: a healthy replica for read-only
// queries, nil (the primary) otherwise, and for the reads of a request
// after it wrote to the database or when its client did within the
// WithStickyWrites window (read your own writes: a replica may not have
// them yet).
func (rs *replicaSet) ResolveConn(ctx context.Context, q bun.Query) bun.IConn {
	if !bun.IsReadOnlyQuery(q) {
		return nil
	}
	if st := stateFrom(ctx); st != nil && (st.stickyTo(rs.d) || st.wroteTo(rs.d)) {
		return nil
	}
	n := uint64(len(rs.all))
	start := rs.next.Add(1)
	for i := uint64(0); i < n; i++ {
		r := rs.all[(start+i)%n]
		if r.healthy.Load() {
			return r
		}
	}
	return nil
}

// Close implements bun.ConnResolver.
func (rs *replicaSet) Close() error { return rs.close() }

func (rs *replicaSet) close() error {
	if rs.closed.Swap(true) {
		return nil
	}
	close(rs.stop)
	rs.stopped.Wait()
	var errs []error
	for _, r := range rs.all {
		errs = append(errs, r.db.Close())
	}
	return errors.Join(errs...)
}

// start begins the background health checks.
func (rs *replicaSet) start(ctx context.Context) {
	rs.primary = rs.d.sqldb
	rs.once.Do(func() {
		rs.stopped.Add(1)
		go func() {
			defer rs.stopped.Done()
			t := time.NewTicker(rs.d.cfg.replicaInterval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-rs.stop:
					return
				case <-t.C:
					cctx, cancel := context.WithTimeout(ctx, rs.d.cfg.replicaInterval)
					rs.check(cctx)
					cancel()
				}
			}
		}()
	})
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	rs.check(cctx)
	cancel()
}

// check pings every replica and updates its health.
func (rs *replicaSet) check(ctx context.Context) []ReplicaHealth {
	out := make([]ReplicaHealth, len(rs.all))
	var wg sync.WaitGroup
	for i, r := range rs.all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			err := r.db.PingContext(ctx)
			h := ReplicaHealth{Where: r.where, LatencyMS: ms(time.Since(start)), Pool: poolStats(r.db.Stats(), bun.DBStats{})}
			if err != nil {
				r.down(err)
				h.Error = scrub(err, r.dsn).Error()
			} else {
				r.healthy.Store(true)
			}
			h.Healthy = err == nil
			out[i] = h
		}()
	}
	wg.Wait()
	return out
}

func (r *replica) down(err error) {
	msg := scrub(err, r.dsn).Error()
	r.lastErr.Store(&msg)
	if r.healthy.Swap(false) {
		r.set.d.p.log.Warn("orm: replica set aside, reads go to the primary", "database", r.set.d.name, "replica", r.where, "error", msg)
	}
}

func (r *replica) fallback() *sql.DB {
	if r.set.primary != nil {
		return r.set.primary
	}
	return r.set.d.sqldb
}

// QueryContext implements bun.IConn, falling back to the primary when the
// replica's connection fails.
func (r *replica) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := r.db.QueryContext(ctx, query, args...)
	if err != nil && ctx.Err() == nil && connectionLost(err) {
		r.down(err)
		return r.fallback().QueryContext(ctx, query, args...)
	}
	return rows, err
}

// ExecContext implements bun.IConn.
func (r *replica) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := r.db.ExecContext(ctx, query, args...)
	if err != nil && ctx.Err() == nil && connectionLost(err) {
		r.down(err)
		return r.fallback().ExecContext(ctx, query, args...)
	}
	return res, err
}

// QueryRowContext implements bun.IConn.
func (r *replica) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	row := r.db.QueryRowContext(ctx, query, args...)
	if err := row.Err(); err != nil && ctx.Err() == nil && connectionLost(err) {
		r.down(err)
		return r.fallback().QueryRowContext(ctx, query, args...)
	}
	return row
}

var (
	_ bun.ConnResolver = (*replicaSet)(nil)
	_ bun.IConn        = (*replica)(nil)
)
