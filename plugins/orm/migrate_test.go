package orm_test

import (
	"bytes"
	"context"
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/uptrace/bun"
)

//go:embed testdata/migrations/*.sql
var migrationFiles embed.FS

// appMigrations is the SQL files plus a Go migration between them.
func appMigrations(t testing.TB, goStep time.Duration) *orm.Migrations {
	t.Helper()
	sub, err := fs.Sub(migrationFiles, "testdata/migrations")
	must(t, err)
	ms, err := orm.NewMigrations(sub)
	must(t, err)
	must(t, ms.Add("002_seed_more", func(ctx context.Context, db *bun.DB) error {
		time.Sleep(goStep) // widens the window two racing migrators would share
		_, err := db.NewRaw("INSERT INTO notes (id, body) VALUES (2, 'second')").Exec(ctx)
		return err
	}, func(ctx context.Context, db *bun.DB) error {
		_, err := db.NewRaw("DELETE FROM notes WHERE id = 2").Exec(ctx)
		return err
	}))
	return ms
}

func TestMigrations(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		ctx := context.Background()
		m := orm.NewMigrator(db.DB, appMigrations(t, 0))
		pending, err := m.Pending(ctx)
		must(t, err)
		if want := []string{"001_notes", "002_seed_more", "003_tags"}; !slices.Equal(pending, want) {
			t.Fatalf("pending = %v, want %v", pending, want)
		}
		applied, err := m.Up(ctx)
		must(t, err)
		if len(applied) != 3 {
			t.Fatalf("applied %v", applied)
		}
		if n := countRows(t, db.DB, "notes"); n != 2 {
			t.Errorf("notes has %d rows, want 2 (SQL and Go migrations)", n)
		}
		again, err := m.Up(ctx)
		must(t, err)
		if len(again) != 0 {
			t.Errorf("second Up applied %v", again)
		}
		st, err := m.Status(ctx)
		must(t, err)
		for _, s := range st {
			if !s.Applied || s.Group != 1 {
				t.Errorf("status %+v, want applied in group 1", s)
			}
		}
		down, err := m.Down(ctx)
		must(t, err)
		if want := []string{"003_tags", "002_seed_more", "001_notes"}; !slices.Equal(down, want) {
			t.Errorf("rolled back %v, want %v", down, want)
		}
		var n int
		if err := db.NewRaw("SELECT count(*) FROM notes").Scan(ctx, &n); err == nil {
			t.Error("notes still exists after down")
		}

		var out bytes.Buffer
		for _, cmd := range [][]string{{"status"}, {"up"}, {"status"}, {"down"}} {
			must(t, orm.RunMigrateCommand(ctx, db.DB, appMigrations(t, 0), cmd, orm.WithOutput(&out)))
		}
		for _, want := range []string{"pending  001_notes", "applied 003_tags", "applied  002_seed_more (group", "rolled back 001_notes"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("command output lacks %q:\n%s", want, out.String())
			}
		}
		if err := orm.RunMigrateCommand(ctx, db.DB, appMigrations(t, 0), []string{"sideways"}, orm.WithOutput(&out)); err == nil {
			t.Error("unknown command accepted")
		}
	})
}

// TestConcurrentMigrators starts two instances' migrators together: one
// applies everything, the other waits for the lock and finds nothing to do.
func TestConcurrentMigrators(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		results := make([][]string, 2)
		errs := make([]error, 2)
		for i := range 2 {
			// Each instance has its own pool, as two processes would.
			own, err := orm.Open(ctx, db.DSN, db.Driver)
			must(t, err)
			defer own.Close()
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = orm.NewMigrator(own, appMigrations(t, 300*time.Millisecond)).Up(ctx)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("migrator %d: %v", i, err)
			}
		}
		total := len(results[0]) + len(results[1])
		if total != 3 || (len(results[0]) != 0 && len(results[1]) != 0) {
			t.Errorf("applied %v and %v: want all three by one migrator", results[0], results[1])
		}
		if n := countRows(t, db.DB, "bun_migrations"); n != 3 {
			t.Errorf("bun_migrations has %d rows, want 3", n)
		}
		if n := countRows(t, db.DB, "notes"); n != 2 {
			t.Errorf("notes has %d rows, want 2", n)
		}
	})
}

func TestCreateMigration(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	ctx := context.Background()
	db := ormtest.SQLite(t)
	ms, _ := orm.NewMigrations(nil)
	must(t, orm.RunMigrateCommand(ctx, db.DB, ms, []string{"create", "add_users", "-dir", dir}, orm.WithOutput(&out)))
	must(t, orm.RunMigrateCommand(ctx, db.DB, ms, []string{"create", "--dir=" + dir, "add_posts"}, orm.WithOutput(&out)))
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"001_add_users.down.sql", "001_add_users.up.sql", "002_add_posts.down.sql", "002_add_posts.up.sql"}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	// The files it writes are valid migrations.
	if _, err := orm.NewMigrations(os.DirFS(dir)); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{{"create"}, {"create", "Bad Name", "-dir", dir}, {"create", "x", "-dir"}, {}} {
		if err := orm.RunMigrateCommand(ctx, db.DB, ms, bad, orm.WithOutput(&out)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "003_x.up.sql")); err == nil {
		t.Error("a refused command wrote a file")
	}
	if err := ms.Add("nonumber", nil, nil); err == nil {
		t.Error("Go migration without a number accepted")
	}
}

func TestFixtures(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		fx := ormtest.LoadFixtures(t, db.DB, os.DirFS("testdata/fixtures"), []string{"users.yml"}, (*User)(nil), (*Task)(nil))
		alice := fx.MustRow("User.alice").(*User)
		var tasks []Task
		must(t, db.NewSelect().Model(&tasks).Where("user_id = ?", alice.ID).Scan(context.Background()))
		if len(tasks) != 1 || tasks[0].Title != "write docs" {
			t.Errorf("alice's tasks = %+v", tasks)
		}
	})
}
