package authsql

import (
	"errors"
	"fmt"
	"testing"
)

// sqlStateError has the method of pgx's *pgconn.PgError and lib/pq's
// *pq.Error that duplicateKey reads.
type sqlStateError struct{ code string }

func (e *sqlStateError) Error() string    { return "pq: " + e.code }
func (e *sqlStateError) SQLState() string { return e.code }

// codeError has the method of modernc.org/sqlite's *sqlite.Error.
type codeError struct{ code int }

func (e *codeError) Error() string { return fmt.Sprintf("sqlite: %d", e.code) }
func (e *codeError) Code() int     { return e.code }

// MySQLError has the shape of go-sql-driver/mysql's *MySQLError.
type MySQLError struct {
	Number   uint16
	SQLState [5]byte
	Message  string
}

func (e *MySQLError) Error() string { return fmt.Sprintf("Error %d: %s", e.Number, e.Message) }

// Error has the shape of mattn/go-sqlite3's sqlite3.Error (a value type).
type Error struct {
	Code         int
	ExtendedCode int
}

func (e Error) Error() string { return fmt.Sprintf("sqlite3: %d/%d", e.Code, e.ExtendedCode) }

// TestDuplicateKey: each driver's duplicate-key error is told from its
// other errors, also when wrapped; the real drivers' errors are met in
// TestUseOnce.
func TestDuplicateKey(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("exec: %w", err) }
	tests := []struct {
		name string
		d    Dialect
		err  error
		want bool
	}{
		{"pgx unique violation", Postgres, &sqlStateError{"23505"}, true},
		{"pgx wrapped", Postgres, wrap(&sqlStateError{"23505"}), true},
		{"pgx joined", Postgres, errors.Join(errors.New("x"), &sqlStateError{"23505"}), true},
		{"pgx not null violation", Postgres, &sqlStateError{"23502"}, false},
		{"pgx serialization failure", Postgres, &sqlStateError{"40001"}, false},
		{"mysql dup entry", MySQL, &MySQLError{Number: 1062}, true},
		{"mysql dup entry with key name", MySQL, wrap(&MySQLError{Number: 1586}), true},
		{"mysql lock wait timeout", MySQL, &MySQLError{Number: 1205}, false},
		{"mysql error on postgres", Postgres, &MySQLError{Number: 1062}, false},
		{"modernc primary key", SQLite, &codeError{1555}, true},
		{"modernc unique", SQLite, wrap(&codeError{2067}), true},
		{"modernc not null", SQLite, &codeError{1299}, false},
		{"modernc busy", SQLite, &codeError{5}, false},
		{"mattn primary key", SQLite, Error{Code: 19, ExtendedCode: 1555}, true},
		{"mattn busy", SQLite, wrap(Error{Code: 5, ExtendedCode: 5}), false},
		{"plain error", MySQL, errors.New("Error 1062: Duplicate entry"), false},
		{"nil", Postgres, nil, false},
		{"nil pointer", MySQL, (*MySQLError)(nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := duplicateKey(tt.d, tt.err); got != tt.want {
				t.Fatalf("duplicateKey(%v, %v) = %v, want %v", tt.d, tt.err, got, tt.want)
			}
		})
	}
}
