package orm

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	covet "github.com/covetgo/covet/core"
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
// names when it is a constraint violation. Driver errors are recognised by
// the drivers given to New or Open in this process (package pgsql's,
// mysql's, sqlite's).
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
	for _, d := range knownDrivers() {
		if k, c, ok := d.ClassifyError(err); ok {
			return k, c
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return KindTimeout, ""
	}
	if connectionLost(err) {
		return KindUnavailable, ""
	}
	return KindOther, ""
}

// connectionLost reports an error that means the connection or server went
// away, or could not be reached.
func connectionLost(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	for _, d := range knownDrivers() {
		if d.ConnectionLost(err) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
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
	for _, d := range knownDrivers() {
		if missing, known := d.RefersToMissing(err); known {
			return missing
		}
	}
	// The error does not say (SQLite); the failing statement does.
	return failedOp == "INSERT"
}

// IsRetryable reports a serialization failure or deadlock: the transaction
// was rolled back and running it again may succeed.
func IsRetryable(err error) bool {
	k, _ := Classify(err)
	return k == KindConflict
}
