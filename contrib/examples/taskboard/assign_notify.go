package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/jobs"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// TaskAssignedArgs is the "task assigned" notification: a durable job
// enqueued in the same transaction as the write that assigns the task, so
// the notification goes out if and only if the assignment commits. It runs
// only on PostgreSQL (DATABASE_URL=postgres://...), where the jobs plugin
// (River) keeps its queue; on SQLite and MySQL the taskboard has no
// notifications.
type TaskAssignedArgs struct {
	TaskID     int64  `json:"task_id"`
	AssigneeID int64  `json:"assignee_id"`
	Title      string `json:"title"`
}

// Kind names the job kind.
func (TaskAssignedArgs) Kind() string { return "task_assigned" }

// assignState is the request's view of the notifier, and the assignees
// tasks had before an update in this request.
type assignState struct {
	jobs *jobs.Plugin
	prev map[int64]*int64
}

var assignKey = covet.NewKey[*assignState]("taskboard.assign")

// installAssignNotifications installs the jobs plugin with the notification
// worker (it logs; a real app would mail or call a webhook) when the
// database is PostgreSQL, and puts the notifier on every request for the
// Task model's hooks below.
func installAssignNotifications(app *covet.App, dsn string) error {
	if d, err := orm.DialectOf(dsn); err != nil || d != orm.Postgres {
		return nil
	}
	jp := jobs.New(jobs.WithDSN(dsn), jobs.WithQueue(river.QueueDefault, 5))
	logger := app.Logger()
	jobs.RegisterFunc(jp, func(ctx context.Context, j *river.Job[TaskAssignedArgs]) error {
		logger.InfoContext(ctx, "taskboard: task assigned", slog.Int64("task_id", j.Args.TaskID),
			slog.Int64("assignee_id", j.Args.AssigneeID), slog.String("title", j.Args.Title))
		return nil
	})
	if err := app.Install(jp); err != nil {
		return err
	}
	app.Use(func(next covet.HandlerFunc) covet.HandlerFunc {
		return func(c *covet.Context) error {
			// Only writes insert or update tasks: reads (most requests)
			// skip the state's allocations.
			if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions {
				assignKey.Set(c, &assignState{jobs: jp})
			}
			return next(c)
		}
	})
	return nil
}

// txKey carries a transaction a handler runs a statement in (orm.Tx) to
// the statement's model hooks, which orm.FromContext does not see.
type txKey struct{}

// withTx returns ctx carrying tx for the model hooks (txOf).
func withTx(ctx context.Context, tx bun.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// txOf returns the database a model hook's statements join: the
// transaction withTx put on ctx, else the request's (orm.Transactional on
// the update route), else the pool.
func txOf(ctx context.Context) (bun.IDB, bool) {
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return tx, true
	}
	return orm.FromContext(ctx)
}

// notifyAssigned enqueues the notification in the transaction of the write
// (insertTask's orm.Tx for a create with an assignee, orm.Transactional on
// the update route).
func notifyAssigned(ctx context.Context, st *assignState, t *Task) error {
	db, ok := txOf(ctx)
	if !ok {
		return nil
	}
	_, err := st.jobs.EnqueueTx(ctx, db, TaskAssignedArgs{TaskID: t.ID, AssigneeID: *t.AssigneeID, Title: t.Title}, nil)
	if err != nil {
		return fmt.Errorf("taskboard: enqueue the assignment notification: %w", err)
	}
	return nil
}

// tasksOf returns the tasks a query writes: bun calls model hooks on an
// empty model and hands the query, whose model holds the values.
func tasksOf(m bun.Model) []*Task {
	if m == nil {
		return nil
	}
	switch v := m.Value().(type) {
	case *Task:
		return []*Task{v}
	case *[]Task:
		out := make([]*Task, len(*v))
		for i := range *v {
			out[i] = &(*v)[i]
		}
		return out
	case *[]*Task:
		return *v
	}
	return nil
}

// AfterInsert notifies the assignees of new tasks.
func (*Task) AfterInsert(ctx context.Context, q *bun.InsertQuery) error {
	st, ok := assignKey.FromContext(ctx)
	if !ok {
		return nil
	}
	for _, t := range tasksOf(q.GetModel()) {
		if t.AssigneeID != nil {
			if err := notifyAssigned(ctx, st, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// BeforeUpdate remembers the tasks' assignees before the update.
func (*Task) BeforeUpdate(ctx context.Context, q *bun.UpdateQuery) error {
	st, ok := assignKey.FromContext(ctx)
	if !ok {
		return nil
	}
	db, ok := txOf(ctx)
	if !ok {
		return nil
	}
	for _, t := range tasksOf(q.GetModel()) {
		if t.ID == 0 {
			continue
		}
		var prev *int64
		if err := db.NewSelect().Table("tasks").Column("assignee_id").Where("id = ?", t.ID).Scan(ctx, &prev); err != nil {
			return err
		}
		if st.prev == nil {
			st.prev = map[int64]*int64{}
		}
		st.prev[t.ID] = prev
	}
	return nil
}

// AfterUpdate notifies new assignees.
func (*Task) AfterUpdate(ctx context.Context, q *bun.UpdateQuery) error {
	st, ok := assignKey.FromContext(ctx)
	if !ok {
		return nil
	}
	for _, t := range tasksOf(q.GetModel()) {
		prev, seen := st.prev[t.ID]
		if !seen || t.AssigneeID == nil || (prev != nil && *prev == *t.AssigneeID) {
			continue
		}
		if err := notifyAssigned(ctx, st, t); err != nil {
			return err
		}
	}
	return nil
}

var (
	_ bun.AfterInsertHook  = (*Task)(nil)
	_ bun.BeforeUpdateHook = (*Task)(nil)
	_ bun.AfterUpdateHook  = (*Task)(nil)
)
