// Package orm makes bun (github.com/uptrace/bun) a first-class part of a
// Covet app: PostgreSQL, MySQL/MariaDB and SQLite chosen from a DSN, several
// named databases with read replicas, pools with their figures on /readyz,
// connect-with-retry at start and close at shutdown, the request's
// database or transaction on the context (DB), transactions as a helper (Tx)
// and as middleware (Transactional) with savepoints and retries, slow-query
// logs with the request ID, migrations from SQL files and Go functions with a
// lock, pagination and timestamp/soft-delete helpers, and database errors
// mapped to HTTP problems (MapError).
//
// bun is the query builder: this package adds no other.
//
//	p := orm.New(orm.WithDSN(os.Getenv("DATABASE_URL")))
//	app.Install(p)
//	app.GET("/users/{id:int}", func(c *covet.Context) error {
//		db, err := orm.DB(c) // a 500 problem, logged, if the app is misconfigured
//		if err != nil {
//			return err
//		}
//		var u User
//		err = db.NewSelect().Model(&u).Where("id = ?", c.Param("id")).Scan(c.Context())
//		if err != nil {
//			return err // sql.ErrNoRows answers 404
//		}
//		return c.JSON(200, u)
//	})
//
// The test kit in package ormtest gives each test its own real database.
package orm
