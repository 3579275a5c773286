package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/uptrace/bun"
)

// --- users ---

// NewUser is the body of POST /users.
type NewUser struct {
	Name  string `json:"name" minLength:"1" maxLength:"80" example:"Ada Lovelace" doc:"Display name"`
	Email string `json:"email" format:"email" maxLength:"254" example:"ada@example.com"`
	// Password is hashed with argon2id; it is never stored or returned.
	Password string `json:"password" format:"password" minLength:"8" maxLength:"1024" writeOnly:"true" example:"correct horse battery staple"`
}

// CreateUserIn is the input of POST /users.
type CreateUserIn struct {
	Body NewUser
}

// Created is an output with a Location header and a 201 status.
type Created[T any] struct {
	Location string `header:"Location"`
	Body     T
}

func createUser(c *covet.Context, in *CreateUserIn) (*Created[User], error) {
	hash, err := auth.HashPassword(in.Body.Password)
	if err != nil {
		return nil, err
	}
	u := User{Name: in.Body.Name, Email: strings.ToLower(in.Body.Email), PasswordHash: hash}
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	if _, err := db.NewInsert().Model(&u).Exec(c.Context()); err != nil {
		return nil, err // a taken email answers 409
	}
	loc, _ := c.App().URL("users.get", "id", u.ID)
	return &Created[User]{Location: loc, Body: u}, nil
}

// ByID addresses one resource.
type ByID struct {
	ID int64 `path:"id" minimum:"1" doc:"Resource ID"`
}

func getUser(c *covet.Context, in *ByID) (*User, error) {
	var u User
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	if err := db.NewSelect().Model(&u).Where("id = ?", in.ID).Scan(c.Context()); err != nil {
		return nil, err // no such user answers 404
	}
	return &u, nil
}

// --- tasks ---

// TaskFields are the writable fields of a task.
type TaskFields struct {
	Title       string     `json:"title" minLength:"1" maxLength:"200" example:"Write the release notes"`
	Description string     `json:"description,omitempty" maxLength:"4000"`
	Status      string     `json:"status" enum:"todo,doing,done" default:"todo"`
	Priority    int        `json:"priority" minimum:"1" maximum:"5" default:"3" doc:"1 is the most urgent"`
	Tags        []string   `json:"tags,omitempty" maxItems:"10" maxLength:"32" pattern:"^[a-z0-9-]+$" uniqueItems:"true"`
	AssigneeID  *int64     `json:"assignee_id,omitempty" minimum:"1"`
	Due         *time.Time `json:"due,omitempty" doc:"RFC 3339 deadline"`
}

// CreateTaskIn is the input of POST /tasks.
type CreateTaskIn struct {
	Body TaskFields
}

func createTask(hook *webhook) func(c *covet.Context, in *CreateTaskIn) (*Created[Task], error) {
	return func(c *covet.Context, in *CreateTaskIn) (*Created[Task], error) {
		out, err := insertTask(c, in)
		if err == nil {
			hook.taskCreated(c, out.Body)
		}
		return out, err
	}
}

func insertTask(c *covet.Context, in *CreateTaskIn) (*Created[Task], error) {
	owner, err := principalID(c)
	if err != nil {
		return nil, err
	}
	f := in.Body
	t := Task{Title: f.Title, Description: f.Description, Status: f.Status, Priority: f.Priority,
		Tags: nonNil(f.Tags), AssigneeID: f.AssigneeID, Due: f.Due, OwnerID: &owner}
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Context()
	if t.AssigneeID == nil {
		// One statement, atomic on its own and committed before the
		// answer: a transaction around it would add BEGIN and COMMIT, two
		// database round trips per create.
		_, err = db.NewInsert().Model(&t).Exec(ctx)
	} else {
		// The assignment notification is enqueued by the insert's hook
		// (assign_notify.go) in the same transaction as the task.
		err = orm.Tx(ctx, db, func(tx bun.Tx) error {
			_, err := tx.NewInsert().Model(&t).Exec(withTx(ctx, tx))
			return err
		})
	}
	if err != nil {
		return nil, err // an unknown assignee answers 422
	}
	noteChange(c, TaskEvent{Op: "created", ID: t.ID, Title: t.Title})
	loc, _ := c.App().URL("tasks.get", "id", t.ID)
	return &Created[Task]{Location: loc, Body: t}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ListTasksIn filters and pages GET /tasks. Offset pages (the default:
// API v1's clients, the board page and the harness read total) count the
// whole listing; cursor pages (keyset: cursor present, "" for the first
// page) take no count, cost the same at any depth and do not shift when
// tasks are added.
type ListTasksIn struct {
	Limit    int      `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Offset   int      `query:"offset" minimum:"0" default:"0"`
	Cursor   *string  `query:"cursor" maxLength:"512" pattern:"^(|[A-Za-z0-9_-]+)$" doc:"Keyset pagination: empty for the first page, then the previous page's next_cursor (also in the Link header, rel=next). No count is taken: total is 0 and has_more tells whether a page follows. With a cursor, offset is ignored."`
	Status   string   `query:"status" enum:"todo,doing,done" doc:"Only tasks in this state"`
	Tag      []string `query:"tag" maxItems:"5" doc:"Only tasks with every one of these tags (repeat the parameter)"`
	Assignee *int64   `query:"assignee" minimum:"1"`
	Search   string   `query:"q" maxLength:"100" doc:"Substring of the title"`
}

func listTasks(c *covet.Context, in *ListTasksIn) (*orm.Page[Task], error) {
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	if in.Cursor != nil { // offset is ignored: a cursor says where the page starts
		page, err := orm.PaginateKeyset[Task](c.Context(), listFilter(db, in), listKeyset, *in.Cursor, in.Limit)
		if err != nil {
			return nil, err
		}
		if page.NextCursor != "" {
			u := *c.Request().URL
			q := u.Query()
			q.Set("cursor", page.NextCursor)
			q.Del("offset")
			u.RawQuery = q.Encode()
			c.Response().Header().Set("Link", "<"+u.RequestURI()+`>; rel="next"`)
		}
		return &page, nil
	}
	page, err := orm.Paginate[Task](c.Context(), listQuery(db, in), in.Limit, in.Offset)
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// listKeyset is the list's order as a keyset: tasks_list_idx (priority, id)
// serves it, pages continue after the last row's (priority, id).
var listKeyset = orm.Keyset{Columns: []string{"priority", "id"}}

// listQuery selects the tasks GET /tasks lists, in the list's order (the
// index tasks_list_idx, migration 003, serves it), without limit or offset.
func listQuery(db bun.IDB, in *ListTasksIn) *bun.SelectQuery {
	return listFilter(db, in).Order("priority ASC", "id ASC")
}

// listFilter is listQuery without the order (PaginateKeyset sets it).
func listFilter(db bun.IDB, in *ListTasksIn) *bun.SelectQuery {
	q := db.NewSelect().Model((*Task)(nil))
	if in.Status != "" {
		q = q.Where("status = ?", in.Status)
	}
	for _, tag := range in.Tag {
		q = q.Where("tags LIKE ?", "%"+strconv.Quote(tag)+"%")
	}
	if in.Assignee != nil {
		q = q.Where("assignee_id = ?", *in.Assignee)
	}
	if in.Search != "" {
		q = q.Where("LOWER(title) LIKE ?", "%"+strings.ToLower(in.Search)+"%")
	}
	return q
}

func getTask(c *covet.Context, in *ByID) (*Task, error) {
	var t Task
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	if err := db.NewSelect().Model(&t).Where("id = ?", in.ID).Scan(c.Context()); err != nil {
		return nil, err
	}
	return &t, nil
}

// TaskPatch changes some fields of a task; absent fields keep their value.
type TaskPatch struct {
	Title       *string    `json:"title,omitempty" minLength:"1" maxLength:"200"`
	Description *string    `json:"description,omitempty" maxLength:"4000"`
	Status      *string    `json:"status,omitempty" enum:"todo,doing,done"`
	Priority    *int       `json:"priority,omitempty" minimum:"1" maximum:"5"`
	Tags        []string   `json:"tags,omitempty" maxItems:"10" maxLength:"32" pattern:"^[a-z0-9-]+$" uniqueItems:"true"`
	AssigneeID  *int64     `json:"assignee_id,omitempty" minimum:"1"`
	Due         *time.Time `json:"due,omitempty"`
}

// UpdateTaskIn is the input of PATCH /tasks/{id}.
type UpdateTaskIn struct {
	ID   int64 `path:"id" minimum:"1"`
	Body TaskPatch
}

// ownTask loads a task the signed-in user may change: 404 when there is no
// such task, 403 when it is someone else's (tasks are visible to the whole
// board, so a 404 would hide nothing).
func ownTask(c *covet.Context, id int64) (*Task, error) {
	uid, err := principalID(c)
	if err != nil {
		return nil, err
	}
	t, err := getTask(c, &ByID{ID: id})
	if err != nil {
		return nil, err
	}
	if t.OwnerID == nil || *t.OwnerID != uid {
		return nil, covet.NewError(http.StatusForbidden, "task "+strconv.FormatInt(id, 10)+" is not yours")
	}
	return t, nil
}

func updateTask(c *covet.Context, in *UpdateTaskIn) (*Task, error) {
	t, err := ownTask(c, in.ID)
	if err != nil {
		return nil, err
	}
	p := in.Body
	if p.Title != nil {
		t.Title = *p.Title
	}
	if p.Description != nil {
		t.Description = *p.Description
	}
	if p.Status != nil {
		t.Status = *p.Status
	}
	if p.Priority != nil {
		t.Priority = *p.Priority
	}
	if p.Tags != nil {
		t.Tags = p.Tags
	}
	if p.AssigneeID != nil {
		t.AssigneeID = p.AssigneeID
	}
	if p.Due != nil {
		t.Due = p.Due
	}
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	if _, err := db.NewUpdate().Model(t).WherePK().Exec(c.Context()); err != nil {
		return nil, err
	}
	noteChange(c, TaskEvent{Op: "updated", ID: t.ID, Title: t.Title})
	return t, nil
}

func deleteTask(c *covet.Context, in *ByID) (*struct{}, error) {
	if _, err := ownTask(c, in.ID); err != nil {
		return nil, err
	}
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	res, err := db.NewDelete().Model((*Task)(nil)).Where("id = ?", in.ID).Exec(c.Context())
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	if err != nil { // not a missing task: a driver that cannot count is a 500, not a 404
		return nil, err
	}
	if n == 0 {
		return nil, covet.NewError(http.StatusNotFound, "no task "+strconv.FormatInt(in.ID, 10))
	}
	noteChange(c, TaskEvent{Op: "deleted", ID: in.ID})
	return nil, nil // 204
}

// --- comments ---

// NewComment is the body of POST /tasks/{id}/comments; the author is the
// signed-in user.
type NewComment struct {
	Body string `json:"body" minLength:"1" maxLength:"2000"`
}

// CreateCommentIn is the input of POST /tasks/{id}/comments.
type CreateCommentIn struct {
	TaskID int64 `path:"id" minimum:"1"`
	Body   NewComment
}

func createComment(c *covet.Context, in *CreateCommentIn) (*Comment, error) {
	author, err := principalID(c)
	if err != nil {
		return nil, err
	}
	if _, err := getTask(c, &ByID{ID: in.TaskID}); err != nil {
		return nil, err
	}
	cm := Comment{TaskID: in.TaskID, AuthorID: author, Body: in.Body.Body}
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	if _, err := db.NewInsert().Model(&cm).Exec(c.Context()); err != nil {
		return nil, err
	}
	return &cm, nil
}

// CommentList is the output of GET /tasks/{id}/comments.
type CommentList struct {
	Items []Comment `json:"items"`
}

func listComments(c *covet.Context, in *ByID) (*CommentList, error) {
	if _, err := getTask(c, in); err != nil {
		return nil, err
	}
	out := CommentList{Items: []Comment{}}
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	err = db.NewSelect().Model(&out.Items).Where("task_id = ?", in.ID).Order("id ASC").Scan(c.Context())
	return &out, err
}

// --- attachments ---

// UploadIn is the multipart input of POST /tasks/{id}/attachments.
type UploadIn struct {
	TaskID int64       `path:"id" minimum:"1"`
	File   *covet.File `form:"file" required:"true" doc:"The file (at most 10 MiB)"`
}

const maxAttachment = 10 << 20

func uploadAttachment(c *covet.Context, in *UploadIn) (*Created[Attachment], error) {
	if _, err := ownTask(c, in.TaskID); err != nil {
		return nil, err
	}
	f, err := in.File.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	ct := in.File.ContentType
	if ct == "" {
		ct = http.DetectContentType(data)
	}
	name := in.File.Filename
	if name == "" {
		name = "attachment"
	}
	a := Attachment{TaskID: in.TaskID, Filename: name, ContentType: ct, Size: int64(len(data)), Data: data}
	db, err := orm.DB(c)
	if err != nil {
		return nil, err
	}
	if _, err := db.NewInsert().Model(&a).Exec(c.Context()); err != nil {
		return nil, err
	}
	loc, _ := c.App().URL("attachments.get", "id", in.TaskID, "aid", a.ID)
	return &Created[Attachment]{Location: loc, Body: a}, nil
}

func downloadAttachment(c *covet.Context) error {
	var a Attachment
	db, err := orm.DB(c)
	if err != nil {
		return err
	}
	err = db.NewSelect().Model(&a).
		Where("id = ? AND task_id = ?", c.Param("aid"), c.Param("id")).Scan(c.Context())
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(a.Filename, `"`, "")+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, a.ContentType, a.Data)
}
