package main

import (
	"time"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/uptrace/bun"
)

// User is a member of the team.
type User struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64  `bun:",pk,autoincrement" json:"id"`
	Name          string `bun:",notnull" json:"name"`
	Email         string `bun:",notnull,unique" json:"email"`
	// PasswordHash is the argon2id hash (PHC string) of a local account's
	// password; empty for accounts that only sign in with GitHub or Google.
	PasswordHash string `bun:",nullzero" json:"-"`
	orm.Timestamps
}

// Identity links a user to an account at a login provider (GitHub, Google,
// any OIDC issuer), by the provider's stable subject, never by email.
type Identity struct {
	bun.BaseModel `bun:"table:identities"`
	Provider      string `bun:",pk"`
	Subject       string `bun:",pk"`
	UserID        int64  `bun:",notnull"`
}

// Task is one card on the board.
type Task struct {
	bun.BaseModel `bun:"table:tasks"`
	ID            int64      `bun:",pk,autoincrement" json:"id"`
	Title         string     `bun:",notnull" json:"title"`
	Description   string     `bun:",notnull,default:''" json:"description"`
	Status        string     `bun:",notnull" json:"status"`
	Priority      int        `bun:",notnull" json:"priority"`
	Tags          []string   `bun:",type:varchar(1024)" json:"tags"`
	AssigneeID    *int64     `bun:",nullzero" json:"assignee_id,omitempty"`
	Due           *time.Time `bun:",nullzero" json:"due,omitempty"`
	// OwnerID is the user who created the task: only they may change it.
	OwnerID *int64 `bun:",nullzero" json:"owner_id,omitempty"`
	orm.Timestamps
	orm.SoftDelete
}

// Comment is a note left on a task.
type Comment struct {
	bun.BaseModel `bun:"table:comments"`
	ID            int64     `bun:",pk,autoincrement" json:"id"`
	TaskID        int64     `bun:",notnull" json:"task_id"`
	AuthorID      int64     `bun:",notnull" json:"author_id"`
	Body          string    `bun:",notnull" json:"body"`
	CreatedAt     time.Time `bun:",nullzero,notnull,default:current_timestamp" json:"created_at"`
}

// Attachment is a file uploaded to a task; the content stays in the database.
type Attachment struct {
	bun.BaseModel `bun:"table:attachments"`
	ID            int64     `bun:",pk,autoincrement" json:"id"`
	TaskID        int64     `bun:",notnull" json:"task_id"`
	Filename      string    `bun:",notnull" json:"filename"`
	ContentType   string    `bun:",notnull" json:"content_type"`
	Size          int64     `bun:",notnull" json:"size"`
	Data          []byte    `bun:",notnull" json:"-"`
	CreatedAt     time.Time `bun:",nullzero,notnull,default:current_timestamp" json:"created_at"`
}
