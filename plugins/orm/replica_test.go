package orm_test

import (
	"context"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/uptrace/bun"
)

// TestReadsAfterAWriteStayOnThePrimary: a request that wrote to a database
// reads its own writes: its later reads go to the primary, not to a replica
// that may lag (here one that never gets the row). Other requests still
// read from the replica.
func TestReadsAfterAWriteStayOnThePrimary(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		replica := ormtest.New(t, db.Dialect)
		migrated(t, replica)
		ctx := context.Background()
		_, err := replica.NewInsert().Model(&User{Email: "on-replica@x", Name: "r"}).Exec(ctx)
		must(t, err)
		app, _, _ := newApp(t, db, orm.WithReplicas(replica.DSN))
		_, err = db.NewInsert().Model(&User{Email: "on-primary@x", Name: "p"}).Exec(ctx)
		must(t, err)
		readBack := func(c *covet.Context, email string) error {
			var u User
			if err := mustDB(c).NewSelect().Model(&u).Where("email = ?", email).Scan(c.Context()); err != nil {
				return err
			}
			return c.Text(200, u.Email)
		}
		writes := map[string]func(c *covet.Context, email string) error{
			"insert": func(c *covet.Context, email string) error {
				_, err := mustDB(c).NewInsert().Model(&User{Email: email, Name: "w"}).Exec(c.Context())
				return err
			},
			"raw-insert": func(c *covet.Context, email string) error {
				_, err := mustDB(c).NewRaw("INSERT INTO users (email, name) VALUES (?, 'w')", email).Exec(c.Context())
				return err
			},
			"tx": func(c *covet.Context, email string) error {
				return orm.Tx(c.Context(), mustDB(c), func(tx bun.Tx) error {
					_, err := tx.NewInsert().Model(&User{Email: email, Name: "w"}).Exec(c.Context())
					return err
				})
			},
		}
		for name, write := range writes {
			app.POST("/write-then-read/"+name, func(c *covet.Context) error {
				email := c.Query("email")
				if err := write(c, email); err != nil {
					return err
				}
				return readBack(c, email)
			})
		}
		app.GET("/read", func(c *covet.Context) error { return readBack(c, c.Query("email")) })
		start(t, app)
		cl := covettest.New(t, app)
		for name := range writes {
			email := "new-" + name + "@x"
			cl.Post("/write-then-read/" + name + "?email=" + email).Do().ExpectStatus(200).ExpectBody(email)
		}
		// A request that only reads still goes to the replica.
		cl.Get("/read?email=on-replica@x").Do().ExpectStatus(200).ExpectBody("on-replica@x")
		cl.Get("/read?email=on-primary@x").Do().ExpectStatus(404)
	})
}
