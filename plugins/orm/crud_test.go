package orm_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

func TestContract(t *testing.T) {
	db := ormtest.SQLite(t)
	covettest.PluginContract(t, func() covet.Plugin { return orm.New(orm.WithDriver(db.Driver), orm.WithDSN(db.DSN)) })
}

func TestHandlersAndErrorMapping(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		app, _, _ := newApp(t, db)
		userRoutes(app)
		start(t, app)
		cl := covettest.New(t, app)

		var alice User
		res := cl.Post("/users").JSON(map[string]any{"email": "alice@example.com", "name": "Alice"}).Do().
			ExpectStatus(http.StatusCreated).ExpectHeader("X-Queries", "1").Decode(&alice)
		_ = res
		if alice.ID == 0 || alice.CreatedAt.IsZero() || !alice.CreatedAt.Equal(alice.UpdatedAt) {
			t.Fatalf("insert did not fill id and timestamps: %+v", alice)
		}
		var got User
		cl.Get(fmt.Sprintf("/users/%d", alice.ID)).Do().ExpectStatus(http.StatusOK).Decode(&got)
		if got.Email != "alice@example.com" {
			t.Fatalf("got %+v", got)
		}

		cases := []struct {
			name       string
			req        func() *covettest.Response
			status     int
			constraint string
		}{
			{"missing row is 404", func() *covettest.Response { return cl.Get("/users/999999").Do() }, 404, ""},
			{"unique violation is 409", func() *covettest.Response {
				return cl.Post("/users").JSON(map[string]any{"email": "alice@example.com", "name": "Again"}).Do()
			}, 409, map[orm.Dialect]string{orm.Postgres: "users_email_key", orm.MySQL: "users_email_key", orm.SQLite: "users.email"}[db.Dialect]},
			{"reference to a missing row is 422", func() *covettest.Response {
				return cl.Post("/tasks").JSON(map[string]any{"user_id": 424242, "title": "orphan"}).Do()
			}, 422, ""},
			{"deleting a referenced row is 409", func() *covettest.Response {
				cl.Post("/tasks").JSON(map[string]any{"user_id": alice.ID, "title": "t"}).Do().ExpectStatus(201)
				return cl.Delete(fmt.Sprintf("/users/%d", alice.ID)).Do()
			}, 409, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.req().ExpectStatus(tc.status).ExpectHeader("Content-Type", "application/problem+json")
				body := r.Text()
				for _, leak := range []string{"INSERT", "SELECT", "DELETE", "insert into", "violates"} {
					if strings.Contains(body, leak) {
						t.Errorf("problem leaks SQL or driver text (%q): %s", leak, body)
					}
				}
				if tc.constraint != "" && !strings.Contains(body, `"constraint":"`+tc.constraint+`"`) {
					t.Errorf("problem does not name constraint %q: %s", tc.constraint, body)
				}
			})
		}
	})
}

func TestMapErrorLeavesOtherErrors(t *testing.T) {
	plain := fmt.Errorf("boom")
	if orm.MapError(plain) != plain {
		t.Error("MapError changed an error that is not a database error")
	}
	he := covet.NewError(418, "teapot")
	if orm.MapError(he) != error(he) {
		t.Error("MapError changed an HTTP error")
	}
	if orm.MapError(nil) != nil {
		t.Error("MapError(nil) is not nil")
	}
}

func TestNamedDatabasesAndQueryCount(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		other := ormtest.New(t, db.Dialect)
		app, p, _ := newApp(t, db, orm.WithDatabase("analytics", other.DSN, orm.WithMaxOpenConns(3)))
		ctx := context.Background()
		_, err := other.NewCreateTable().Model((*Task)(nil)).Exec(ctx)
		must(t, err)
		app.GET("/both", func(c *covet.Context) error {
			n1, err := mustDB(c).NewSelect().Model((*User)(nil)).Count(c.Context())
			if err != nil {
				return err
			}
			if _, err := mustNamed(c, "analytics").NewInsert().Model(&Task{UserID: 1, Title: "x"}).Exec(c.Context()); err != nil {
				return err
			}
			return c.JSON(200, map[string]int{"users": int(n1), "queries": orm.QueryCount(c)})
		})
		start(t, app)
		var out map[string]int
		covettest.New(t, app).Get("/both").Do().ExpectStatus(200).Decode(&out)
		if out["queries"] != 2 {
			t.Errorf("query count = %d, want 2", out["queries"])
		}
		if n := countRows(t, other.DB, (*Task)(nil)); n != 1 {
			t.Errorf("analytics has %d tasks, want 1", n)
		}
		if p.Database("analytics").Stats().MaxOpen != 3 {
			t.Errorf("analytics pool max open = %d, want 3", p.Database("analytics").Stats().MaxOpen)
		}
	})
}

func TestTimestampsAndSoftDelete(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		u := &User{Email: "s@example.com", Name: "S"}
		_, err := db.NewInsert().Model(u).Exec(ctx)
		must(t, err)
		created := u.CreatedAt
		u.Name = "S2"
		_, err = db.NewUpdate().Model(u).WherePK().Exec(ctx)
		must(t, err)
		if !u.UpdatedAt.After(created) && !u.UpdatedAt.Equal(created) {
			t.Errorf("updated_at %v before created_at %v", u.UpdatedAt, created)
		}
		var back User
		must(t, db.NewSelect().Model(&back).Where("id = ?", u.ID).Scan(ctx))
		if !back.UpdatedAt.Equal(u.UpdatedAt) || !back.CreatedAt.Equal(created) {
			t.Errorf("timestamps not stored: got %v/%v want %v/%v", back.CreatedAt, back.UpdatedAt, created, u.UpdatedAt)
		}

		_, err = db.NewDelete().Model(u).WherePK().Exec(ctx)
		must(t, err)
		n, err := db.NewSelect().Model((*User)(nil)).Count(ctx)
		must(t, err)
		if n != 0 {
			t.Errorf("soft-deleted row still listed (%d)", n)
		}
		var del User
		must(t, db.NewSelect().Model(&del).Where("id = ?", u.ID).WhereDeleted().Scan(ctx))
		if !del.IsDeleted() {
			t.Error("IsDeleted false on a deleted row")
		}
		restored, err := orm.Restore(ctx, db.DB, &User{ID: u.ID})
		must(t, err)
		if restored != 1 {
			t.Errorf("restored %d rows, want 1", restored)
		}
		n, err = db.NewSelect().Model((*User)(nil)).Count(ctx)
		must(t, err)
		if n != 1 {
			t.Errorf("restored row not listed (%d)", n)
		}
	})
}
