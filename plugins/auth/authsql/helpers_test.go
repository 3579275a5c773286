package authsql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth/authsql"
	gomysql "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// dialects lists the databases the tests run on; each opens a fresh
// database for the test and drops it at the end.
var dialects = []struct {
	name string
	open func(t testing.TB) *sql.DB
}{
	{"postgres", openPostgres},
	{"mysql", openMySQL},
	// clientFoundRows=true (a common go-sql-driver setting) makes MySQL
	// count the rows an UPDATE matched, not the rows it changed.
	{"mysql-foundrows", openMySQLFoundRows},
	{"sqlite", openSQLite},
}

func uniqueName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "covet_authsql_" + hex.EncodeToString(b[:])
}

func ping(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// openPostgres creates a database on COVET_TEST_POSTGRES (default the
// local server) and drops it when the test ends.
func openPostgres(t testing.TB) *sql.DB {
	t.Helper()
	admin := covettest.PostgresDSN()
	adm, err := sql.Open("pgx", admin)
	if err == nil {
		err = ping(adm)
	}
	covettest.NeedService(t, "PostgreSQL", err)
	name := uniqueName()
	if _, err := adm.Exec("CREATE DATABASE " + name); err != nil {
		adm.Close()
		t.Fatalf("create database: %v", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := adm.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		adm.Close()
	})
	return db
}

// openMySQL creates a database on COVET_TEST_MYSQL (a go-sql-driver DSN;
// default the local server) and drops it when the test ends.
func openMySQL(t testing.TB) *sql.DB { return openMySQLWith(t, func(*gomysql.Config) {}) }

// openMySQLFoundRows is openMySQL with clientFoundRows=true in the DSN.
func openMySQLFoundRows(t testing.TB) *sql.DB {
	return openMySQLWith(t, func(c *gomysql.Config) { c.ClientFoundRows = true })
}

func openMySQLWith(t testing.TB, set func(*gomysql.Config)) *sql.DB {
	t.Helper()
	cfg, err := mysqlConfig(covettest.MySQLDSN())
	if err != nil {
		t.Fatalf("COVET_TEST_MYSQL: %v", err)
	}
	set(cfg)
	admin := cfg.FormatDSN()
	adm, err := sql.Open("mysql", admin)
	if err == nil {
		err = ping(adm)
	}
	covettest.NeedService(t, "MySQL", err)
	name := uniqueName()
	if _, err := adm.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		adm.Close()
		t.Fatalf("create database: %v", err)
	}
	cfg.DBName = name
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := adm.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		adm.Close()
	})
	return db
}

// mysqlConfig reads a go-sql-driver DSN or a mysql://user:pass@host:port URL.
func mysqlConfig(dsn string) (*gomysql.Config, error) {
	if !strings.HasPrefix(dsn, "mysql://") {
		return gomysql.ParseDSN(dsn)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	c := gomysql.NewConfig()
	c.Net, c.Addr = "tcp", u.Host
	if u.User != nil {
		c.User = u.User.Username()
		c.Passwd, _ = u.User.Password()
	}
	return c, nil
}

// openSQLite opens a database file in the test's temporary directory, with
// the busy timeout the package documentation asks for.
func openSQLite(t testing.TB) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "auth.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newStore opens a fresh database of one dialect and migrates it.
func newStore(t testing.TB, open func(testing.TB) *sql.DB, opts ...authsql.Option) (*authsql.Store, *sql.DB) {
	t.Helper()
	db := open(t)
	s, err := authsql.New(db, append([]authsql.Option{authsql.WithTimeout(30 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil { // idempotent
		t.Fatalf("second Migrate: %v", err)
	}
	return s, db
}
