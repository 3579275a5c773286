package authsql

import "reflect"

// Duplicate-key error codes of each dialect.
const (
	pgUniqueViolation      = "23505" // SQLSTATE unique_violation
	myDupEntry             = 1062    // ER_DUP_ENTRY
	myDupEntryWithKeyName  = 1586    // ER_DUP_ENTRY_WITH_KEY_NAME
	sqliteConstraintPK     = 1555    // SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteConstraintUnique = 2067    // SQLITE_CONSTRAINT_UNIQUE
)

// duplicateKey reports whether err, returned by an INSERT on dialect d, is
// the database refusing a second row with the same key. The package
// imports no driver, so the drivers' error types are read through their
// methods and exported fields:
//
//   - PostgreSQL: SQLState() "23505" (pgx's *pgconn.PgError, lib/pq's
//     *pq.Error);
//   - MySQL/MariaDB: Number 1062 or 1586 (go-sql-driver's *mysql.MySQLError);
//   - SQLite: extended result code 1555 or 2067 (modernc.org/sqlite's
//     *sqlite.Error through Code(), mattn/go-sqlite3's sqlite3.Error
//     through its ExtendedCode field).
//
// Any other error, or an error of a driver not listed, is not a duplicate:
// the caller reports it as an error (fail closed).
func duplicateKey(d Dialect, err error) bool {
	return anyInChain(err, func(e error) bool {
		switch d {
		case Postgres:
			s, ok := e.(interface{ SQLState() string })
			return ok && s.SQLState() == pgUniqueViolation
		case MySQL:
			n, ok := intField(e, "MySQLError", "Number")
			return ok && (n == myDupEntry || n == myDupEntryWithKeyName)
		case SQLite:
			if c, ok := e.(interface{ Code() int }); ok {
				return c.Code() == sqliteConstraintPK || c.Code() == sqliteConstraintUnique
			}
			n, ok := intField(e, "Error", "ExtendedCode")
			return ok && (n == sqliteConstraintPK || n == sqliteConstraintUnique)
		}
		return false
	})
}

// anyInChain reports whether match holds for err or any error it wraps
// (errors.Is's walk, with a predicate in place of a target).
func anyInChain(err error, match func(error) bool) bool {
	for err != nil {
		if match(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if anyInChain(e, match) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// intField returns the integer field of err's struct (or pointer to
// struct) type when the type is named typeName.
func intField(err error, typeName, field string) (int64, bool) {
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return 0, false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct || v.Type().Name() != typeName {
		return 0, false
	}
	f := v.FieldByName(field)
	switch {
	case !f.IsValid():
		return 0, false
	case f.CanInt():
		return f.Int(), true
	case f.CanUint():
		return int64(f.Uint()), true // #nosec G115 -- error codes are small
	}
	return 0, false
}
