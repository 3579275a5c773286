// Package ormtest gives each test its own real, isolated database for the
// orm plugin: Postgres(t), MySQL(t) and SQLite(t) create a fresh database
// (on the servers named by COVET_TEST_POSTGRES and COVET_TEST_MYSQL, the
// local services by default) and drop it when the test ends. There is no
// Docker fallback: it made every app that uses the orm module resolve
// dockertest; point the variables at any server (one started with docker
// run, for instance).
// A test whose server is unreachable is skipped with the reason, or fails
// when COVET_REQUIRE_SERVICES=1. Tests using it may run in parallel.
//
//	for _, d := range ormtest.Dialects {
//		t.Run(string(d), func(t *testing.T) {
//			t.Parallel()
//			db := ormtest.New(t, d)
//			app := covet.New()
//			app.Install(orm.New(db.Options()...))
//			...
//		})
//	}
package ormtest
