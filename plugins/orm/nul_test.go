package orm_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

// Issue 13 #10: a NUL byte in a string bound for SQL was a 500 on PostgreSQL
// and SQLite (bun writes an error marker into the SQL, or the server refuses
// the byte). Core's typed binding refuses NUL with a 422; a raw route that
// decodes the body itself reaches the database, whose failure must map to a
// client error, never a 500.
func TestNULInStringIsAClientError(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		app, _, logs := newApp(t, db)
		app.POST("/raw/users", func(c *covet.Context) error {
			var u User
			if err := json.NewDecoder(c.Request().Body).Decode(&u); err != nil {
				return err
			}
			if _, err := mustDB(c).NewInsert().Model(&u).Exec(c.Context()); err != nil {
				return err
			}
			return c.JSON(http.StatusCreated, u)
		})
		app.GET("/raw/users", func(c *covet.Context) error {
			var us []User
			err := mustDB(c).NewSelect().Model(&us).Where("name = ?", c.Request().URL.Query().Get("name")).Scan(c.Context())
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, us)
		})
		covet.Post(app, "/typed/users", func(c *covet.Context, in *User) (*User, error) {
			_, err := mustDB(c).NewInsert().Model(in).Exec(c.Context())
			return in, err
		})
		start(t, app)
		cl := covettest.New(t, app)
		want := 422
		for _, tc := range []struct {
			name string
			do   func() *covettest.Response
		}{
			{"insert", func() *covettest.Response {
				return cl.Post("/raw/users").RawJSON(`{"email":"nul@example.com","name":"a\u0000b"}`).Do()
			}},
			{"select", func() *covettest.Response { return cl.Get("/raw/users?name=a%00b").Do() }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := tc.do()
				if db.Dialect == orm.MySQL {
					// MySQL stores and compares NUL like any other byte.
					if res.StatusCode >= 500 {
						t.Fatalf("%d %s", res.StatusCode, res.Text())
					}
					return
				}
				res.ExpectStatus(want).ExpectBodyContains("NUL")
			})
		}
		t.Run("typed route refuses NUL before the database", func(t *testing.T) {
			cl.Post("/typed/users").RawJSON(`{"email":"typed@example.com","name":"a\u0000b"}`).Do().ExpectStatus(422).ExpectBodyContains("NUL")
		})
		if strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Errorf("error-level logs for client input: %s", logs.String())
		}
	})
}
