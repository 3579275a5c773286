package orm_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

func TestTransactionalMiddleware(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		app, _, _ := newApp(t, db)
		insert := func(c *covet.Context, email string) error {
			_, err := mustDB(c).NewInsert().Model(&User{Email: email, Name: "x"}).Exec(c.Context())
			return err
		}
		g := app.Group("/tx", orm.Transactional())
		g.POST("/ok", func(c *covet.Context) error {
			if err := insert(c, "ok@x"); err != nil {
				return err
			}
			if _, isTx := mustDB(c).(bun.Tx); !isTx {
				return errors.New("DB(c) is not the request's transaction")
			}
			return c.JSON(http.StatusCreated, map[string]string{"ok": "yes"})
		})
		g.POST("/redirect", func(c *covet.Context) error {
			if err := insert(c, "redirect@x"); err != nil {
				return err
			}
			return c.Redirect(http.StatusSeeOther, "/elsewhere")
		})
		g.POST("/error", func(c *covet.Context) error {
			if err := insert(c, "error@x"); err != nil {
				return err
			}
			c.SetHeader("X-Leak", "must not be sent")
			_ = c.JSON(http.StatusOK, "partial")
			return covet.NewError(http.StatusTeapot, "handler failed after writing")
		})
		g.POST("/client-error", func(c *covet.Context) error {
			if err := insert(c, "clienterror@x"); err != nil {
				return err
			}
			return c.JSON(http.StatusBadRequest, map[string]string{"error": "no"})
		})
		g.POST("/panic", func(c *covet.Context) error {
			if err := insert(c, "panic@x"); err != nil {
				return err
			}
			panic("boom")
		})
		g.POST("/unique", func(c *covet.Context) error {
			if err := insert(c, "dup@x"); err != nil {
				return err
			}
			return insert(c, "dup@x")
		})
		g.POST("/savepoint", func(c *covet.Context) error {
			if err := insert(c, "outer@x"); err != nil {
				return err
			}
			inner := orm.Tx(c.Context(), mustDB(c), func(tx bun.Tx) error {
				if _, err := tx.NewInsert().Model(&User{Email: "inner@x", Name: "x"}).Exec(c.Context()); err != nil {
					return err
				}
				return errors.New("inner step failed")
			})
			if inner == nil {
				return errors.New("inner error lost")
			}
			return c.NoContent(http.StatusNoContent)
		})
		g.POST("/nested", func(c *covet.Context) error {
			if err := insert(c, "nested@x"); err != nil {
				return err
			}
			return c.NoContent(http.StatusNoContent)
		}, orm.Transactional())
		start(t, app)
		cl := covettest.New(t, app)

		cl.Post("/tx/ok").Do().ExpectStatus(201).ExpectBodyContains(`"ok":"yes"`)
		cl.Post("/tx/redirect").Do().ExpectStatus(303).ExpectHeader("Location", "/elsewhere")
		r := cl.Post("/tx/error").Do().ExpectStatus(http.StatusTeapot).ExpectHeader("Content-Type", "application/problem+json")
		if r.Header.Get("X-Leak") != "" {
			t.Error("headers of the discarded response were sent")
		}
		cl.Post("/tx/client-error").Do().ExpectStatus(400).ExpectBodyContains(`"error":"no"`)
		cl.Post("/tx/panic").Do().ExpectStatus(500)
		cl.Post("/tx/unique").Do().ExpectStatus(409)
		cl.Post("/tx/savepoint").Do().ExpectStatus(204)
		cl.Post("/tx/nested").Do().ExpectStatus(204)

		want := map[string]bool{
			"ok@x": true, "redirect@x": true, "error@x": false, "clienterror@x": false, "panic@x": false,
			"dup@x": false, "outer@x": true, "inner@x": false, "nested@x": true,
		}
		for email, present := range want {
			n, err := db.NewSelect().Model((*User)(nil)).Where("email = ?", email).Count(context.Background())
			must(t, err)
			if (n == 1) != present {
				t.Errorf("%s: %d rows, want present=%v", email, n, present)
			}
		}
	})
}

func TestTxHelper(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		add := func(tx bun.IDB, email string) error {
			_, err := tx.NewInsert().Model(&User{Email: email, Name: "x"}).Exec(ctx)
			return err
		}
		count := func(email string) int {
			n, err := db.NewSelect().Model((*User)(nil)).Where("email = ?", email).Count(ctx)
			must(t, err)
			return int(n)
		}
		t.Run("commit", func(t *testing.T) {
			must(t, orm.Tx(ctx, db.DB, func(tx bun.Tx) error { return add(tx, "c@x") }))
			if count("c@x") != 1 {
				t.Error("not committed")
			}
		})
		t.Run("rollback on error", func(t *testing.T) {
			sentinel := errors.New("no")
			err := orm.Tx(ctx, db.DB, func(tx bun.Tx) error { must(t, add(tx, "r@x")); return sentinel })
			if !errors.Is(err, sentinel) || count("r@x") != 0 {
				t.Errorf("err=%v rows=%d", err, count("r@x"))
			}
		})
		t.Run("rollback and re-panic", func(t *testing.T) {
			defer func() {
				if v := recover(); v != "boom" {
					t.Errorf("recovered %v, want the panic", v)
				}
				if count("p@x") != 0 {
					t.Error("panicking transaction committed")
				}
			}()
			_ = orm.Tx(ctx, db.DB, func(tx bun.Tx) error { must(t, add(tx, "p@x")); panic("boom") })
		})
		t.Run("savepoint", func(t *testing.T) {
			err := orm.Tx(ctx, db.DB, func(tx bun.Tx) error {
				must(t, add(tx, "o@x"))
				if err := orm.Tx(ctx, tx, func(sp bun.Tx) error { must(t, add(sp, "i@x")); return errors.New("inner") }); err == nil {
					t.Error("inner error lost")
				}
				return orm.Tx(ctx, tx, func(sp bun.Tx) error { return add(sp, "i2@x") })
			})
			must(t, err)
			if count("o@x") != 1 || count("i@x") != 0 || count("i2@x") != 1 {
				t.Errorf("outer=%d inner=%d inner2=%d, want 1 0 1", count("o@x"), count("i@x"), count("i2@x"))
			}
		})
		t.Run("retry", func(t *testing.T) {
			calls := 0
			conflict := &pgconn.PgError{Code: "40001"}
			err := orm.Tx(ctx, db.DB, func(tx bun.Tx) error {
				calls++
				must(t, add(tx, "retry@x"))
				if calls < 3 {
					return conflict
				}
				return nil
			}, orm.WithRetry(3))
			must(t, err)
			if calls != 3 || count("retry@x") != 1 {
				t.Errorf("calls=%d rows=%d, want 3 and 1", calls, count("retry@x"))
			}
			calls = 0
			err = orm.Tx(ctx, db.DB, func(tx bun.Tx) error { calls++; return conflict }, orm.WithRetry(2))
			if !orm.IsRetryable(err) || calls != 3 {
				t.Errorf("err=%v calls=%d, want the conflict after 3 calls", err, calls)
			}
		})
	})
}
