package orm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"go.uber.org/goleak"
)

// TestInstallOpensNothingAndFailedStartLeavesNothing: Install creates no
// pool (so no goroutine of database/sql's), and a Start that fails on the
// second database closes the first one's pool, which it had opened and
// connected: no goroutine and no connection is left behind.
func TestInstallOpensNothingAndFailedStartLeavesNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	file := filepath.Join(t.TempDir(), "app.db")
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	p := orm.New(allDrivers, orm.WithDSN("sqlite://"+file),
		orm.WithDatabase("other", "postgres://covet@127.0.0.1:1/none?sslmode=disable"),
		// 2 s to connect: the SQLite file opens in far less even at load 50
		// (50 ms did not), and the unreachable one fails for the whole 2 s.
		orm.WithConnectRetry(2*time.Second, 10*time.Millisecond, 100*time.Millisecond))
	must(t, app.Install(p))
	if p.DB() != nil || p.Database(orm.DefaultName).Bun() != nil {
		t.Error("a database is open after Install; Install must open nothing")
	}
	if err := app.Start(context.Background()); err == nil {
		t.Fatal("Start succeeded with an unreachable second database")
	} else if !strings.Contains(err.Error(), `"other"`) {
		t.Errorf("Start error %q does not name the failing database", err)
	}
	if p.DB() != nil {
		t.Error("the primary database is still open after the failed Start")
	}
	if st := p.Database(orm.DefaultName).Stats(); st.Open != 0 {
		t.Errorf("the primary pool has %d open connections after the failed Start", st.Open)
	}
}

// TestInstallStartsNoGoroutine checks Install alone with goleak: the pool
// would run database/sql's connection opener.
func TestInstallStartsNoGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	must(t, app.Install(orm.New(allDrivers, orm.WithDSN("sqlite://"+filepath.Join(t.TempDir(), "a.db")))))
	if err := goleak.Find(before); err != nil {
		t.Errorf("Install started goroutines: %v", err)
	}
}

// TestDBWithoutPluginIsALogged500: a handler calling orm.DB on an app
// without the plugin (or not started) gets an error, answered as a 500
// problem whose cause is logged, not a panic.
func TestDBWithoutPluginIsALogged500(t *testing.T) {
	var logs bytes.Buffer
	app := covet.New(covet.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	app.GET("/", func(c *covet.Context) error {
		db, err := orm.DB(c)
		if err != nil {
			return err
		}
		return c.JSON(200, db != nil)
	})
	app.GET("/named", func(c *covet.Context) error {
		_, err := orm.Named(c, "nope")
		return err
	})
	for _, path := range []string{"/", "/named"} {
		w := httptest.NewRecorder()
		app.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != 500 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: status %d, %s; want a 500 problem", path, w.Code, w.Header().Get("Content-Type"))
		}
		if strings.Contains(w.Body.String(), "orm") {
			t.Errorf("%s: the 500 body leaks the cause: %s", path, w.Body)
		}
	}
	if !strings.Contains(logs.String(), "install the orm plugin") || strings.Contains(logs.String(), "panic") {
		t.Errorf("the cause is not logged (or logged as a panic): %s", logs.String())
	}

	// Installed but not started: also a 500, not a panic.
	app = covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	must(t, app.Install(orm.New(allDrivers, orm.WithDSN("sqlite://"+filepath.Join(t.TempDir(), "a.db")))))
	app.GET("/", func(c *covet.Context) error {
		_, err := orm.DB(c)
		return err
	})
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 500 {
		t.Errorf("not started: status %d, want 500", w.Code)
	}
}

// TestEmptyPageHasTotal: an empty listing says "total": 0.
func TestEmptyPageHasTotal(t *testing.T) {
	b, err := json.Marshal(orm.Page[int]{Items: []int{}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	must(t, json.Unmarshal(b, &m))
	if v, ok := m["total"]; !ok || v != float64(0) {
		t.Errorf("empty page JSON = %s, want \"total\":0", b)
	}
}

// TestMissingDriverNamesTheImport: a DSN whose dialect has no driver fails
// at Install with the option and import to add.
func TestMissingDriverNamesTheImport(t *testing.T) {
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	err := app.Install(orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN("postgres://u:secret@127.0.0.1/x")))
	if err == nil {
		t.Fatal("Install accepted a PostgreSQL DSN with only the SQLite driver")
	}
	for _, want := range []string{"orm.WithDriver(pgsql.Driver())", "plugins/orm/pgsql"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
}
