package orm

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"

	covet "github.com/covetgo/covet/core"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrPoolTimeout is the cause of the 503 answered when no connection became
// free within the pool timeout (WithPoolTimeout).
var ErrPoolTimeout = errors.New("orm: no database connection available within the pool timeout")

// Kind classifies a database error.
type Kind uint8

const (
	// KindOther is an error MapError leaves alone (a 500).
	KindOther Kind = iota
	// KindNotFound is sql.ErrNoRows.
	KindNotFound
	// KindUnique is a unique (or primary key) violation.
	KindUnique
	// KindForeignKey is a foreign key violation.
	KindForeignKey
	// KindInvalid is a not-null, check or data violation (bad input).
	KindInvalid
	// KindConflict is a serialization failure or deadlock: retrying the
	// transaction may succeed.
	KindConflict
	// KindTimeout is a statement timeout or canceled statement.
	KindTimeout
	// KindUnavailable is a lost connection, an unreachable server or an
	// exhausted pool.
	KindUnavailable
)

// Classify tells what kind of database error err is, and the constraint it
// names when it is a constraint violation.
func Classify(err error) (kind Kind, constraint string) {
	if err == nil {
		return KindOther, ""
	}
	if errors.Is(err, sql.ErrNoRows) {
		return KindNotFound, ""
	}
	if errors.Is(err, ErrPoolTimeout) {
		return KindUnavailable, ""
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return classifyPG(pg)
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return classifyMySQL(my)
	}
	var sq *sqlite.Error
	if errors.As(err, &sq) {
		return classifySQLite(sq)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return KindTimeout, ""
	}
	if connectionLost(err) {
		return KindUnavailable, ""
	}
	return KindOther, ""
}

func classifyPG(e *pgconn.PgError) (Kind, string) {
	switch {
	case e.Code == "23505":
		return KindUnique, e.ConstraintName
	case e.Code == "23503":
		return KindForeignKey, e.ConstraintName
	case e.Code == "23502", e.Code == "23514", strings.HasPrefix(e.Code, "22"):
		return KindInvalid, e.ConstraintName
	case e.Code == "40001", e.Code == "40P01":
		return KindConflict, ""
	case e.Code == "57014":
		return KindTimeout, ""
	case strings.HasPrefix(e.Code, "08"), strings.HasPrefix(e.Code, "57P"), e.Code == "53300", e.Code == "53400":
		return KindUnavailable, ""
	}
	return KindOther, ""
}

var (
	myDupKey = regexp.MustCompile(`for key '([^']+)'`)
	myFK     = regexp.MustCompile("CONSTRAINT `([^`]+)`")
)

func classifyMySQL(e *mysql.MySQLError) (Kind, string) {
	switch e.Number {
	case 1062, 1586:
		name := ""
		if m := myDupKey.FindStringSubmatch(e.Message); m != nil {
			name = m[1]
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				name = name[i+1:]
			}
		}
		return KindUnique, name
	case 1451, 1452, 1216, 1217:
		name := ""
		if m := myFK.FindStringSubmatch(e.Message); m != nil {
			name = m[1]
		}
		return KindForeignKey, name
	case 1048, 1364, 1406, 1264, 1366, 1292, 3819, 4025:
		name := ""
		if m := myFK.FindStringSubmatch(e.Message); m != nil {
			name = m[1]
		}
		return KindInvalid, name
	case 1213:
		return KindConflict, ""
	case 1205, 1317, 3024, 1969:
		return KindTimeout, ""
	case 1040, 1053, 1927, 2006, 2013:
		return KindUnavailable, ""
	}
	return KindOther, ""
}

func classifySQLite(e *sqlite.Error) (Kind, string) {
	after := func(prefix string) string {
		msg := e.Error()
		i := strings.LastIndex(msg, prefix)
		if i < 0 {
			return ""
		}
		rest := msg[i+len(prefix):]
		if j := strings.LastIndex(rest, " ("); j >= 0 {
			rest = rest[:j]
		}
		return strings.TrimSpace(rest)
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return KindUnique, after("constraint failed: ")
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return KindForeignKey, ""
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK:
		return KindInvalid, after("constraint failed: ")
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return KindConflict, ""
	case sqlite3.SQLITE_INTERRUPT:
		return KindTimeout, ""
	}
	return KindOther, ""
}

// connectionLost reports an error that means the connection or server went
// away, or could not be reached.
func connectionLost(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "57P")
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		switch my.Number {
		case 1053, 1927, 2006, 2013:
			return true
		}
	}
	s := err.Error()
	return strings.Contains(s, "conn closed") || strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}

// MapError translates a database error into the HTTP error a client should
// see, keeping the original as the cause (for logs and errors.Is): no rows is
// 404; a unique violation 409; a foreign key violation 409 (422 when an
// insert or update refers to a missing row, on PostgreSQL and MySQL); a
// not-null, check or data error 422; a serialization failure or deadlock 409;
// a statement timeout, lost connection or exhausted pool 503 with
// Retry-After. Constraint violations carry the constraint's name in the
// problem's "constraint" member; the SQL is never sent. Errors that are
// already HTTP errors, and others, are returned unchanged. The plugin applies
// it to the errors handlers return (WithErrorMapping).
func MapError(err error) error { return mapError(err, "") }

func mapError(err error, failedOp string) error {
	if err == nil {
		return nil
	}
	var ce *covet.Error
	if errors.As(err, &ce) {
		return err
	}
	var sc covet.StatusCoder
	if errors.As(err, &sc) {
		return err
	}
	kind, constraint := Classify(err)
	var e *covet.Error
	switch kind {
	case KindNotFound:
		e = covet.NewError(http.StatusNotFound, "the requested resource does not exist")
	case KindUnique:
		e = covet.NewError(http.StatusConflict, "a resource with the same unique value already exists")
	case KindForeignKey:
		status := http.StatusConflict
		detail := "the resource is still referenced by other resources"
		if fkRefersToMissing(err, failedOp) {
			status = http.StatusUnprocessableEntity
			detail = "the resource refers to a resource that does not exist"
		}
		e = covet.NewError(status, detail)
	case KindInvalid:
		e = covet.NewError(http.StatusUnprocessableEntity, "the data violates a constraint of the database")
	case KindConflict:
		e = covet.NewError(http.StatusConflict, "the request conflicted with a concurrent update; retry it").WithHeader("Retry-After", "1")
	case KindTimeout:
		e = covet.NewError(http.StatusServiceUnavailable, "the database did not answer in time").WithHeader("Retry-After", "1")
	case KindUnavailable:
		e = covet.NewError(http.StatusServiceUnavailable, "the database is unavailable").WithHeader("Retry-After", "1")
	default:
		return err
	}
	if constraint != "" {
		e = e.WithExtension("constraint", constraint)
	}
	return e.WithCause(err)
}

// fkRefersToMissing tells whether a foreign key violation comes from a row
// referring to a missing one (insert/update of the child) rather than from
// removing a row still referred to.
func fkRefersToMissing(err error, failedOp string) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Message, "insert or update on table")
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1452 || my.Number == 1216
	}
	// SQLite does not say; the failing statement does.
	return failedOp == "INSERT"
}

// IsRetryable reports a serialization failure or deadlock: the transaction
// was rolled back and running it again may succeed.
func IsRetryable(err error) bool {
	k, _ := Classify(err)
	return k == KindConflict
}
