package main

import (
	"context"
	"embed"
	"io/fs"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/uptrace/bun"
)

// The schema is created by Go migrations from the models, so one set runs on
// SQLite, PostgreSQL and MySQL alike; SQL files in migrations/ (none yet)
// would run beside them.
//
//go:embed migrations
var migrationFiles embed.FS

func migrations() (*orm.Migrations, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	ms, err := orm.NewMigrations(sub)
	if err != nil {
		return nil, err
	}
	ms.Add("001_initial", createTables, dropTables)
	return ms, nil
}

func models() []any {
	return []any{(*User)(nil), (*Task)(nil), (*Comment)(nil), (*Attachment)(nil)}
}

func createTables(ctx context.Context, db *bun.DB) error {
	for _, m := range models() {
		q := db.NewCreateTable().Model(m).IfNotExists()
		switch m.(type) {
		case *Task:
			q = q.ForeignKey("(assignee_id) REFERENCES users (id) ON DELETE SET NULL")
		case *Comment:
			q = q.ForeignKey("(task_id) REFERENCES tasks (id) ON DELETE CASCADE").
				ForeignKey("(author_id) REFERENCES users (id) ON DELETE CASCADE")
		case *Attachment:
			q = q.ForeignKey("(task_id) REFERENCES tasks (id) ON DELETE CASCADE")
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
	}
	_, err := db.NewCreateIndex().Model((*Task)(nil)).Index("tasks_status_idx").Column("status").IfNotExists().Exec(ctx)
	return err
}

func dropTables(ctx context.Context, db *bun.DB) error {
	ms := models()
	for i := len(ms) - 1; i >= 0; i-- {
		if _, err := db.NewDropTable().Model(ms[i]).IfExists().Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
