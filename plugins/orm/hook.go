package orm

import (
	"context"
	"database/sql"
	"log/slog"
	"reflect"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/uptrace/bun"
)

// queryHook applies the request's statement timeout, counts the request's
// statements, logs slow ones with the request ID, and notices connections
// the server dropped.
type queryHook struct {
	p *Plugin
	d *Database
}

func isTxControl(e *bun.QueryEvent) bool {
	if e.IQuery != nil {
		return false
	}
	q := e.Query
	switch q {
	case "BEGIN", "COMMIT", "ROLLBACK":
		return true
	}
	return strings.HasPrefix(q, "SAVEPOINT ") || strings.HasPrefix(q, "RELEASE SAVEPOINT ") || strings.HasPrefix(q, "ROLLBACK TO SAVEPOINT ")
}

// isWrite reports whether a statement may change the database: anything
// but a read-only bun query, transaction control and raw text that starts
// with SELECT, SHOW or EXPLAIN (bun says "SELECT" of every raw query, so
// its text decides).
func isWrite(e *bun.QueryEvent) bool {
	if isTxControl(e) {
		return false
	}
	if e.IQuery != nil {
		if _, raw := e.IQuery.(*bun.RawQuery); !raw {
			if sel := wrappedSelect(e.IQuery); sel != nil {
				return !bun.IsReadOnlyQuery(sel)
			}
			return !bun.IsReadOnlyQuery(e.IQuery)
		}
	}
	op := strings.TrimLeft(e.Query, " \t\r\n(")
	if i := strings.IndexAny(op, " \t\r\n("); i > 0 {
		op = op[:i]
	}
	for _, read := range []string{"SELECT", "SHOW", "EXPLAIN"} {
		if strings.EqualFold(op, read) {
			return false
		}
	}
	return true
}

// selectQueryType is the type bun's Count and Exists wrappers embed.
var selectQueryType = reflect.TypeFor[*bun.SelectQuery]()

// wrappedSelect returns the SELECT that a query of bun's own wrapping runs,
// nil for any other query. SelectQuery.Count (and ScanAndCount, Paginate's)
// and Exists hand their hooks an unexported struct embedding the
// *bun.SelectQuery (countQuery, selectExistsQuery), which bun.IsReadOnlyQuery
// does not recognise: without this, a count was taken for a write.
func wrappedSelect(q bun.Query) *bun.SelectQuery {
	if _, ok := q.(*bun.SelectQuery); ok {
		return nil
	}
	v := reflect.ValueOf(q)
	if v.Kind() != reflect.Struct {
		return nil
	}
	f, ok := v.Type().FieldByName("SelectQuery")
	if !ok || !f.Anonymous || f.Type != selectQueryType || len(f.Index) != 1 {
		return nil
	}
	sel, _ := v.Field(f.Index[0]).Interface().(*bun.SelectQuery)
	return sel
}

// nulMarker is what bun writes into a statement in place of a string that
// holds a NUL byte ("?!(bun: string contains a NUL byte (0x00))"): the
// statement then fails with a syntax error (PostgreSQL, SQLite), which the
// request's error translation answers with a 422 instead of a 500.
// TestNULInStringIsAClientError breaks if bun changes it.
const nulMarker = "?!(bun: string contains a NUL byte"

// BeforeQuery implements bun.QueryHook.
func (h *queryHook) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	st := stateFrom(ctx)
	if st == nil {
		return ctx
	}
	if h.d.replicas != nil && isWrite(e) {
		st.noteWrite(h.d)
	}
	if st.timeout <= 0 {
		return ctx
	}
	if e.IQuery == nil && e.Query == "BEGIN" {
		// BEGIN's context governs the whole transaction: no statement timeout.
		return ctx
	}
	tctx, cancel := context.WithTimeout(ctx, st.timeout)
	// Canceled when the request ends: rows a raw query returns are read
	// after AfterQuery, so the context must outlive it.
	st.addCancel(cancel)
	return tctx
}

// AfterQuery implements bun.QueryHook.
func (h *queryHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	took := time.Since(e.StartTime)
	control := isTxControl(e)
	if !control {
		h.d.queries.Add(1)
		if e.Err != nil && e.Err != sql.ErrNoRows {
			h.d.queryErrors.Add(1)
		}
	}
	if st := stateFrom(ctx); st != nil && !control {
		st.queries.Add(1)
		st.dbTime.Add(int64(took))
		if e.Err != nil && e.Err != sql.ErrNoRows {
			var nul error
			if strings.Contains(e.Query, nulMarker) {
				nul = e.Err
			}
			st.noteFailure(e.Operation(), nul)
		}
	}
	if e.Err != nil && connectionLost(e.Err) {
		h.d.purgeIdle()
	}
	p := h.p
	slow := p.cfg.slowQuery > 0 && took >= p.cfg.slowQuery
	if !slow && !p.cfg.logQueries {
		return
	}
	level := slog.LevelDebug
	msg := "orm: query"
	if slow {
		level, msg = slog.LevelWarn, "orm: slow query"
	}
	if !p.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("database", h.d.name),
		slog.String("operation", e.Operation()),
		slog.Float64("duration_ms", ms(took)),
		slog.String("query", truncate(e.Query, 2000)),
	}
	if id := covet.RequestIDFrom(ctx); id != "" {
		attrs = append(attrs, slog.String("request_id", id))
	}
	if e.Err != nil && e.Err != sql.ErrNoRows {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	p.log.LogAttrs(ctx, level, msg, attrs...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var _ bun.QueryHook = (*queryHook)(nil)
