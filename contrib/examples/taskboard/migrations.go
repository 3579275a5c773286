package main

import (
	"context"
	"embed"
	"io/fs"
	"time"

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
	ms.Add("002_accounts", addAccounts, dropAccounts)
	ms.Add("003_task_list_index", addTaskListIndex, dropTaskListIndex)
	return ms, nil
}

// The models as 001_initial created them: later migrations change the
// tables, so 001 must not follow the current models.
type userV1 struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64  `bun:",pk,autoincrement"`
	Name          string `bun:",notnull"`
	Email         string `bun:",notnull,unique"`
	orm.Timestamps
}

type taskV1 struct {
	bun.BaseModel `bun:"table:tasks"`
	ID            int64      `bun:",pk,autoincrement"`
	Title         string     `bun:",notnull"`
	Description   string     `bun:",notnull,default:''"`
	Status        string     `bun:",notnull"`
	Priority      int        `bun:",notnull"`
	Tags          []string   `bun:",type:varchar(1024)"`
	AssigneeID    *int64     `bun:",nullzero"`
	Due           *time.Time `bun:",nullzero"`
	orm.Timestamps
	orm.SoftDelete
}

func models() []any {
	return []any{(*userV1)(nil), (*taskV1)(nil), (*Comment)(nil), (*Attachment)(nil)}
}

// addAccounts adds what authentication needs: users' password hashes,
// tasks' owners and the identities linking users to login providers.
func addAccounts(ctx context.Context, db *bun.DB) error {
	if _, err := db.NewAddColumn().Model((*User)(nil)).ColumnExpr("password_hash VARCHAR(255)").Exec(ctx); err != nil {
		return err
	}
	if _, err := db.NewAddColumn().Model((*Task)(nil)).ColumnExpr("owner_id BIGINT").Exec(ctx); err != nil {
		return err
	}
	if _, err := db.NewCreateTable().Model((*Identity)(nil)).IfNotExists().
		ForeignKey("(user_id) REFERENCES users (id) ON DELETE CASCADE").Exec(ctx); err != nil {
		return err
	}
	_, err := db.NewCreateIndex().Model((*Task)(nil)).Index("tasks_owner_idx").Column("owner_id").IfNotExists().Exec(ctx)
	return err
}

func dropAccounts(ctx context.Context, db *bun.DB) error {
	if _, err := db.NewDropIndex().Model((*Task)(nil)).Index("tasks_owner_idx").IfExists().Exec(ctx); err != nil {
		return err
	}
	if _, err := db.NewDropTable().Model((*Identity)(nil)).IfExists().Exec(ctx); err != nil {
		return err
	}
	if _, err := db.NewDropColumn().Model((*Task)(nil)).Column("owner_id").Exec(ctx); err != nil {
		return err
	}
	_, err := db.NewDropColumn().Model((*User)(nil)).Column("password_hash").Exec(ctx)
	return err
}

func createTables(ctx context.Context, db *bun.DB) error {
	for _, m := range models() {
		q := db.NewCreateTable().Model(m).IfNotExists()
		switch m.(type) {
		case *taskV1:
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
	_, err := db.NewCreateIndex().Model((*taskV1)(nil)).Index("tasks_status_idx").Column("status").IfNotExists().Exec(ctx)
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

// addTaskListIndex indexes the task list's order (listQuery: priority, then
// id): without it every GET /tasks read and sorted the whole table to return
// 20 rows, the taskboard's costliest statement under the scale-out mix
// (contrib/scaleout/docs/scaling.md).
func addTaskListIndex(ctx context.Context, db *bun.DB) error {
	_, err := db.NewCreateIndex().Model((*Task)(nil)).Index("tasks_list_idx").Column("priority", "id").IfNotExists().Exec(ctx)
	return err
}

func dropTaskListIndex(ctx context.Context, db *bun.DB) error {
	_, err := db.NewDropIndex().Model((*Task)(nil)).Index("tasks_list_idx").IfExists().Exec(ctx)
	return err
}
