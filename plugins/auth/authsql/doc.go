// Package authsql keeps the auth plugin's shared state in an SQL database
// (PostgreSQL, MySQL/MariaDB or SQLite) through database/sql: refresh
// token families (Refresh), revoked tokens and "log out everywhere"
// cut-offs (Revocation), sessions (Sessions), and the states of completed
// OAuth logins (every store is an auth.OnceStore: UseOnce, in PREFIXonce,
// so a login callback replayed on another instance is refused). It imports neither the orm
// plugin nor a driver: hand it the app's *sql.DB (orm's plugin.DB().DB, or
// bun.DB's embedded *sql.DB).
//
// New returns a Store; Store.Migrate creates its tables (CREATE ... IF NOT
// EXISTS), or Schema returns the DDL for an orm migration to embed. Times
// are stored as Unix milliseconds (BIGINT) taken from the app's clock, so
// the three dialects behave alike and the database's time zone is
// irrelevant.
//
// Refresh.Consume is one conditional UPDATE (used = 0 -> 1): of concurrent
// uses of a token exactly one changes a row, whatever the isolation level;
// the others see a used token, revoke its family and get
// auth.ErrRefreshReused. Revocation.Revoked is one SELECT of two scalar
// subqueries (the jti and the subject's cut-off): one round trip a request.
//
// Expired rows are invisible to every read and deleted by Store.Sweep;
// writes also delete the expired rows of their table every 1024th call.
// No goroutine is started unless the app installs Store.Sweeper, a plugin
// that runs Sweep on a ticker between the app's Start and Stop.
//
// SQLite serialises writers: open it with a busy timeout (modernc.org/sqlite:
// "file:app.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)") so
// concurrent writes wait instead of failing with SQLITE_BUSY.
package authsql
