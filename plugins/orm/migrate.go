package orm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// Migrations is an application's set of migrations: SQL files named
// NNN_name.up.sql and NNN_name.down.sql (usually from an embed.FS) and Go
// functions added with Add. They apply in the order of their numbers.
//
// SQL files run statement by statement when the statements are separated by
// a line "--bun:split" (MySQL needs it for files with several statements);
// a file named NNN_name.tx.up.sql runs in a transaction.
type Migrations struct {
	bm *migrate.Migrations
}

// MigrationFunc is a Go migration step.
type MigrationFunc func(ctx context.Context, db *bun.DB) error

var migrationName = regexp.MustCompile(`^(\d{1,14})_([0-9a-z_\-]+)$`)

// NewMigrations collects the SQL migrations in fsys (all directories; nil
// for none). A file whose name does not follow NNN_name.up.sql or
// NNN_name.down.sql is an error.
//
//	//go:embed migrations/*.sql
//	var migrationFiles embed.FS
//	ms, err := orm.NewMigrations(migrationFiles)
func NewMigrations(fsys fs.FS) (*Migrations, error) {
	m := &Migrations{bm: migrate.NewMigrations()}
	if fsys != nil {
		if err := m.bm.Discover(fsys); err != nil {
			return nil, fmt.Errorf("orm: migrations: %w", err)
		}
	}
	return m, nil
}

// Add adds a Go migration named like a file, "NNN_name" (for example
// "003_backfill_slugs"); down may be nil.
func (m *Migrations) Add(name string, up, down MigrationFunc) error {
	parts := migrationName.FindStringSubmatch(name)
	if parts == nil {
		return fmt.Errorf("orm: migration name %q does not match NNN_name (lowercase letters, digits, _ and -)", name)
	}
	for _, x := range m.bm.Sorted() {
		if x.Name == parts[1] {
			return fmt.Errorf("orm: migration number %s is used twice (%s and %s)", parts[1], x.String(), name)
		}
	}
	wrap := func(fn MigrationFunc) func(context.Context, *migrate.Migrator, *migrate.Migration) error {
		if fn == nil {
			return nil
		}
		return func(ctx context.Context, mr *migrate.Migrator, _ *migrate.Migration) error { return fn(ctx, mr.DB()) }
	}
	m.bm.Add(migrate.Migration{Name: parts[1], Comment: parts[2], Up: wrap(up), Down: wrap(down)})
	return nil
}

// Bun returns the migrations as bun's migrate.Migrations, for bun's own
// tools.
func (m *Migrations) Bun() *migrate.Migrations { return m.bm }

// MigratorOption configures a Migrator; pass options to NewMigrator or
// RunMigrateCommand. It sets an unexported config with its defaults in one
// place (defaultMigratorConfig), the option style of every Covet module.
type MigratorOption func(*migratorConfig)

// migratorConfig is what the migrator options set.
type migratorConfig struct {
	lockTimeout time.Duration
	out         io.Writer
}

func defaultMigratorConfig() migratorConfig {
	return migratorConfig{lockTimeout: 2 * time.Minute, out: os.Stdout}
}

// WithLockTimeout bounds the wait for another instance's migration to finish
// (default 2 minutes).
func WithLockTimeout(d time.Duration) MigratorOption {
	return func(c *migratorConfig) {
		if d > 0 {
			c.lockTimeout = d
		}
	}
}

// WithOutput sets where RunMigrateCommand writes (default os.Stdout).
func WithOutput(w io.Writer) MigratorOption { return func(c *migratorConfig) { c.out = w } }

// Migrator applies and rolls back migrations on a database, one instance at
// a time: a database-wide lock (PostgreSQL advisory lock, MySQL GET_LOCK, a
// lock row on SQLite) makes a second instance wait for the first and then
// find nothing left to do.
type Migrator struct {
	migratorConfig
	db *bun.DB
	ms *Migrations
	bm *migrate.Migrator
}

// NewMigrator returns a migrator for db. Applied migrations are recorded in
// the table bun_migrations.
func NewMigrator(db *bun.DB, ms *Migrations, opts ...MigratorOption) *Migrator {
	m := &Migrator{migratorConfig: defaultMigratorConfig(), db: db, ms: ms}
	for _, o := range opts {
		if o != nil {
			o(&m.migratorConfig)
		}
	}
	m.bm = migrate.NewMigrator(db, ms.bm, migrate.WithMarkAppliedOnSuccess(true))
	return m
}

// Up applies the pending migrations, in order, as one group, and returns
// their names. It stops at the first failure; the ones before it stay
// applied.
func (m *Migrator) Up(ctx context.Context) (applied []string, err error) {
	if len(m.ms.bm.Sorted()) == 0 {
		return nil, nil
	}
	err = m.locked(ctx, func() error {
		g, err := m.bm.Migrate(ctx)
		if g != nil {
			done := g.Migrations
			if err != nil && len(done) > 0 {
				// The last one listed is the one that failed.
				done = done[:len(done)-1]
			}
			for _, x := range done {
				applied = append(applied, x.String())
			}
		}
		return err
	})
	if err != nil {
		return applied, fmt.Errorf("orm: migrate up: %w", err)
	}
	return applied, nil
}

// Down rolls back the last group of migrations (those the last Up applied)
// and returns their names, last first.
func (m *Migrator) Down(ctx context.Context) (rolledBack []string, err error) {
	if len(m.ms.bm.Sorted()) == 0 {
		return nil, nil
	}
	err = m.locked(ctx, func() error {
		g, err := m.bm.Rollback(ctx)
		if g != nil && err == nil {
			for i := len(g.Migrations) - 1; i >= 0; i-- {
				rolledBack = append(rolledBack, g.Migrations[i].String())
			}
		}
		return err
	})
	if err != nil {
		return rolledBack, fmt.Errorf("orm: migrate down: %w", err)
	}
	return rolledBack, nil
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	// Name is "NNN_name".
	Name string `json:"name"`
	// Applied reports whether the migration is applied.
	Applied bool `json:"applied"`
	// Group is the group (the Up call) that applied it.
	Group int64 `json:"group,omitempty"`
	// MigratedAt is when it was applied.
	MigratedAt time.Time `json:"migrated_at,omitzero"`
}

// Status lists every migration, in order, with whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]MigrationStatus, error) {
	if err := m.bm.Init(ctx); err != nil {
		return nil, fmt.Errorf("orm: migrate status: %w", err)
	}
	ms, err := m.bm.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("orm: migrate status: %w", err)
	}
	out := make([]MigrationStatus, len(ms))
	for i, x := range ms {
		out[i] = MigrationStatus{Name: x.String(), Applied: x.IsApplied(), Group: x.GroupID, MigratedAt: x.MigratedAt}
	}
	return out, nil
}

// Pending returns the names of the migrations not applied yet.
func (m *Migrator) Pending(ctx context.Context) ([]string, error) {
	st, err := m.Status(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range st {
		if !s.Applied {
			out = append(out, s.Name)
		}
	}
	return out, nil
}

// locked runs fn holding the migration lock, with the migration tables
// created.
func (m *Migrator) locked(ctx context.Context, fn func() error) error {
	lctx, cancel := context.WithTimeout(ctx, m.lockTimeout)
	defer cancel()
	unlock, err := m.lock(ctx, lctx)
	if err != nil {
		if lctx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("another instance held the migration lock for more than %s", m.lockTimeout)
		}
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer unlock()
	if err := m.bm.Init(ctx); err != nil {
		return err
	}
	return fn()
}

// lockKey is the PostgreSQL advisory lock key (a database-scoped lock).
const lockKey int64 = 0x636f766574_6d6967 // "covet" "mig"

func (m *Migrator) lock(ctx, lctx context.Context) (unlock func(), err error) {
	switch DialectOfDB(m.db) {
	case Postgres, MySQL:
		conn, err := m.db.Conn(lctx)
		if err != nil {
			return nil, err
		}
		if DialectOfDB(m.db) == Postgres {
			if _, err := conn.ExecContext(lctx, "SELECT pg_advisory_lock(?)", lockKey); err != nil {
				_ = conn.Close()
				return nil, err
			}
			return func() {
				_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", lockKey)
				_ = conn.Close()
			}, nil
		}
		secs := int(time.Until(deadlineOf(lctx)).Seconds())
		var got *int
		if err := conn.QueryRowContext(lctx, "SELECT GET_LOCK(CONCAT('covet_migrate:', DATABASE()), ?)", max(secs, 1)).Scan(&got); err != nil {
			_ = conn.Close()
			return nil, err
		}
		if got == nil || *got != 1 {
			_ = conn.Close()
			return nil, context.DeadlineExceeded
		}
		return func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(CONCAT('covet_migrate:', DATABASE()))")
			_ = conn.Close()
		}, nil
	default:
		// SQLite: a row in bun's lock table, polled for.
		if err := m.bm.Init(lctx); err != nil {
			return nil, err
		}
		for {
			err := m.bm.Lock(lctx)
			if err == nil {
				return func() { _ = m.bm.Unlock(context.WithoutCancel(ctx)) }, nil
			}
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-lctx.Done():
				t.Stop()
				return nil, errors.Join(lctx.Err(), err)
			case <-t.C:
			}
		}
	}
}

func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Minute)
}

var fileNumber = regexp.MustCompile(`^(\d{1,14})_`)

// CreateMigration writes the empty files of a new SQL migration into dir:
// NNN_name.up.sql and NNN_name.down.sql, numbered one past the highest
// number there (001 for the first). It returns their paths.
func CreateMigration(dir, name string) ([]string, error) {
	if !regexp.MustCompile(`^[0-9a-z_\-]+$`).MatchString(name) {
		return nil, fmt.Errorf("orm: migration name %q: use lowercase letters, digits, _ and -", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G301 -- a migrations directory in the developer's source tree (covet migrate create): readable like the rest of the source
		return nil, fmt.Errorf("orm: create migration: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("orm: create migration: %w", err)
	}
	next, width := 1, 3
	for _, e := range entries {
		if m := fileNumber.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			next = max(next, n+1)
			width = max(width, len(m[1]))
		}
	}
	base := fmt.Sprintf("%0*d_%s", width, next, name)
	var paths []string
	for _, kind := range []string{"up", "down"} {
		p := filepath.Join(dir, base+"."+kind+".sql")
		body := fmt.Sprintf("-- %s: %s migration.\n-- Separate statements with a line --bun:split.\n", base, kind)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) // #nosec G302 G304 -- a new migration file in the developer's source tree (covet migrate create), named by the command: readable like the rest of the source
		if err != nil {
			return paths, fmt.Errorf("orm: create migration: %w", err)
		}
		_, werr := f.WriteString(body)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return paths, fmt.Errorf("orm: create migration: %w", werr)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// RunMigrateCommand runs a migration command from command-line arguments,
// for an application's own main (for example when started as "app migrate
// up"). Commands:
//
//	up                    apply pending migrations
//	down                  roll back the last group
//	status                list migrations and whether each is applied
//	create NAME [-dir D]  write empty NNN_NAME.up.sql/.down.sql files into D (default "migrations")
//
// It writes its report to os.Stdout (WithOutput) and returns an error for an
// unknown command or a failed migration.
//
//	if len(os.Args) > 1 && os.Args[1] == "migrate" {
//		if err := orm.RunMigrateCommand(ctx, db, migrations, os.Args[2:]); err != nil {
//			log.Fatal(err)
//		}
//		return
//	}
func RunMigrateCommand(ctx context.Context, db *bun.DB, ms *Migrations, args []string, opts ...MigratorOption) error {
	m := NewMigrator(db, ms, opts...)
	w := m.out
	if len(args) == 0 {
		return errors.New("orm: migrate: missing command (up, down, status or create NAME)")
	}
	switch args[0] {
	case "up":
		applied, err := m.Up(ctx)
		for _, a := range applied {
			fmt.Fprintf(w, "applied %s\n", a)
		}
		if err == nil && len(applied) == 0 {
			fmt.Fprintln(w, "nothing to apply")
		}
		return err
	case "down":
		done, err := m.Down(ctx)
		for _, a := range done {
			fmt.Fprintf(w, "rolled back %s\n", a)
		}
		if err == nil && len(done) == 0 {
			fmt.Fprintln(w, "nothing to roll back")
		}
		return err
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			if s.Applied {
				fmt.Fprintf(w, "applied  %s (group %d, %s)\n", s.Name, s.Group, s.MigratedAt.UTC().Format(time.RFC3339))
			} else {
				fmt.Fprintf(w, "pending  %s\n", s.Name)
			}
		}
		return nil
	case "create":
		dir, name := "migrations", ""
		rest := args[1:]
		for i := 0; i < len(rest); i++ {
			switch a := rest[i]; {
			case a == "-dir" || a == "--dir":
				if i+1 >= len(rest) {
					return errors.New("orm: migrate create: -dir needs a value")
				}
				dir = rest[i+1]
				i++
			case strings.HasPrefix(a, "-dir=") || strings.HasPrefix(a, "--dir="):
				dir = a[strings.IndexByte(a, '=')+1:]
			case name == "":
				name = a
			default:
				return fmt.Errorf("orm: migrate create: unexpected argument %q", a)
			}
		}
		if name == "" {
			return errors.New("orm: migrate create: missing NAME")
		}
		paths, err := CreateMigration(dir, name)
		for _, p := range paths {
			fmt.Fprintf(w, "created %s\n", p)
		}
		return err
	}
	return fmt.Errorf("orm: migrate: unknown command %q (up, down, status or create NAME)", args[0])
}
