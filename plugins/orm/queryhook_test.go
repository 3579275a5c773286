package orm_test

import (
	"context"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/uptrace/bun"
)

// recordingHook is a bun.QueryHook that records the queries it sees and
// the request value their context carries (what bunotel reads: the span).
type recordingHook struct {
	mu      sync.Mutex
	queries []string
	marks   []string
}

type markKey struct{}

func (h *recordingHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (h *recordingHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.queries = append(h.queries, e.Query)
	m, _ := ctx.Value(markKey{}).(string)
	h.marks = append(h.marks, m)
}

// TestWithQueryHook checks that hooks given with WithQueryHook see the
// queries of the database they were given for, with the request's context
// (so a tracing hook parents its spans on the request's span).
func TestWithQueryHook(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		primary, other := &recordingHook{}, &recordingHook{}
		otherDB := ormtest.New(t, db.Dialect)
		app, _, _ := newApp(t, db, orm.WithQueryHook(primary),
			orm.WithDatabase("other", otherDB.DSN, orm.WithQueryHook(other)))
		app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
			return func(c *covet.Context) error {
				c.SetContext(context.WithValue(c.Context(), markKey{}, "request"))
				return next(c)
			}
		})
		app.GET("/count", func(c *covet.Context) error {
			if _, err := mustDB(c).NewSelect().Model((*User)(nil)).Count(c.Context()); err != nil {
				return err
			}
			return c.NoContent(204)
		})
		start(t, app)
		covettest.New(t, app).Get("/count").Do().ExpectStatus(204)
		primary.mu.Lock()
		defer primary.mu.Unlock()
		if len(primary.queries) != 1 || primary.marks[0] != "request" {
			t.Fatalf("primary hook saw %q with marks %q, want one query in the request's context", primary.queries, primary.marks)
		}
		other.mu.Lock()
		defer other.mu.Unlock()
		if len(other.queries) != 0 {
			t.Errorf("the other database's hook saw the primary's queries: %q", other.queries)
		}
	})
}
