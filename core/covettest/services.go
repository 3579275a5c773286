package covettest

import (
	"os"
	"testing"
)

// RequireServicesEnv is the environment variable that turns a missing
// backing service (database, Redis, browser) from a skip into a failure. CI
// sets it to 1.
const RequireServicesEnv = "COVET_REQUIRE_SERVICES"

// ServicesRequired reports whether COVET_REQUIRE_SERVICES=1.
func ServicesRequired() bool { return os.Getenv(RequireServicesEnv) == "1" }

// NeedService reports a backing service a test cannot reach: the test is
// skipped with a message naming the service and the cause, or fails when
// COVET_REQUIRE_SERVICES=1. It does nothing when err is nil.
func NeedService(t testing.TB, service string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if ServicesRequired() {
		t.Fatalf("covettest: %s is required (%s=1) but unreachable: %v", service, RequireServicesEnv, err)
	}
	t.Skipf("covettest: skipping: %s unreachable (%v); set %s=1 to make this a failure", service, err, RequireServicesEnv)
}

// Env returns the environment variable's value, or def when it is unset or empty.
func Env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// The environment variables naming the test services, and their defaults
// (the services on the development and CI machines).
const (
	PostgresEnv     = "COVET_TEST_POSTGRES"
	MySQLEnv        = "COVET_TEST_MYSQL"
	RedisEnv        = "COVET_TEST_REDIS"
	DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultMySQL    = "root@tcp(127.0.0.1:3306)/test?parseTime=true"
	DefaultRedis    = "redis://127.0.0.1:6379/0"
)

// PostgresDSN returns COVET_TEST_POSTGRES or the local default.
func PostgresDSN() string { return Env(PostgresEnv, DefaultPostgres) }

// MySQLDSN returns COVET_TEST_MYSQL or the local default (go-sql-driver form).
func MySQLDSN() string { return Env(MySQLEnv, DefaultMySQL) }

// RedisURL returns COVET_TEST_REDIS or the local default.
func RedisURL() string { return Env(RedisEnv, DefaultRedis) }
