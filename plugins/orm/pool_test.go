package orm_test

import (
	"context"
	"testing"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/uptrace/bun"
)

// TestPoolKeepsItsConnections: by default the pool keeps as many idle
// connections as it may open, so a burst of concurrent queries does not
// close (and the next one reopen: a new PostgreSQL server process each)
// the connections above a smaller idle limit. An explicit
// WithMaxIdleConns still bounds them.
func TestPoolKeepsItsConnections(t *testing.T) {
	burst := func(t *testing.T, p *orm.Plugin, n int) {
		t.Helper()
		ctx := context.Background()
		conns := make([]bun.Conn, 0, n)
		for range n {
			c, err := p.DB().Conn(ctx)
			must(t, err)
			conns = append(conns, c)
		}
		for _, c := range conns {
			must(t, c.Close())
		}
	}
	t.Run("default", func(t *testing.T) {
		app, p, _ := newApp(t, ormtest.New(t, orm.Postgres), orm.WithMaxOpenConns(14))
		start(t, app)
		burst(t, p, 14)
		if st := p.DB().Stats(); st.Idle != 14 || st.MaxIdleClosed != 0 {
			t.Errorf("after 14 concurrent connections: %d idle, %d closed for the idle limit; want 14 and 0", st.Idle, st.MaxIdleClosed)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		app, p, _ := newApp(t, ormtest.New(t, orm.Postgres), orm.WithMaxOpenConns(14), orm.WithMaxIdleConns(4))
		start(t, app)
		burst(t, p, 14)
		if st := p.DB().Stats(); st.Idle != 4 || st.MaxIdleClosed != 10 {
			t.Errorf("after 14 concurrent connections: %d idle, %d closed for the idle limit; want 4 and 10", st.Idle, st.MaxIdleClosed)
		}
	})
}
