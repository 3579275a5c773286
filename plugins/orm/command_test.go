package orm_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
)

// TestMigrateCommand: the installed plugin offers "migrate" to
// covet.App.Main, which `covet migrate` runs: status, up, down and create
// against a SQLite file, without starting the app.
func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	ms, err := orm.NewMigrations(os.DirFS("testdata/migrations"))
	if err != nil {
		t.Fatal(err)
	}
	app := covet.New()
	if err := app.Install(orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN("sqlite://"+filepath.Join(dir, "app.db")), orm.WithMigrations(ms))); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := app.RunCommand(context.Background(), &out, append([]string{"migrate"}, args...)); err != nil {
			t.Fatalf("migrate %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	if out := run("status"); !strings.Contains(out, "pending  001_notes") {
		t.Fatalf("status before up:\n%s", out)
	}
	if out := run("up"); !strings.Contains(out, "applied 001_notes") || !strings.Contains(out, "applied 003_tags") {
		t.Fatalf("up:\n%s", out)
	}
	if out := run("status"); !strings.Contains(out, "applied  003_tags") {
		t.Fatalf("status after up:\n%s", out)
	}
	if out := run("down"); !strings.Contains(out, "rolled back") {
		t.Fatalf("down:\n%s", out)
	}
	if out := run("create", "add_users", "--dir", filepath.Join(dir, "migrations")); !strings.Contains(out, "001_add_users.up.sql") {
		t.Fatalf("create:\n%s", out)
	}
	var out bytes.Buffer
	if err := app.RunCommand(context.Background(), &out, []string{"migrate", "sideways"}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("migrate sideways: %v", err)
	}

	bare := covet.New()
	if err := bare.Install(orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN("sqlite://"+filepath.Join(dir, "bare.db")))); err != nil {
		t.Fatal(err)
	}
	if err := bare.RunCommand(context.Background(), &out, []string{"migrate", "up"}); err == nil || !strings.Contains(err.Error(), "WithMigrations") {
		t.Fatalf("migrate up without migrations: %v", err)
	}
}
