// Command covetmin is the minimal Covet peer of the scale-out comparison
// ("covet-min"): the same JSON API, schema and SQL as the Gin and FastAPI
// peers (sign-up, password token, list, get and create tasks, /readyz),
// written the way a Covet user would write it — core with typed handlers
// and the orm plugin (bun on pgx) — so the framework is compared like for
// like. The full taskboard (cache, rate limits, Redis revocation, live
// updates, access log, metrics) stays the comparison's "covet". Run by
// scripts/instance.sh when SCALEOUT_APP=covet-min.
//
//	DATABASE_URL=postgres://... PEER_ADDR=127.0.0.1:8081 go run ./contrib/scaleout/peers/covetmin
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/pgsql"
	"github.com/uptrace/bun"
)

// Task is a row of the peers' tasks table.
type Task struct {
	bun.BaseModel `bun:"table:tasks"`
	ID            int64     `bun:",pk,autoincrement" json:"id"`
	Title         string    `json:"title"`
	Priority      int       `json:"priority"`
	Tags          []string  `bun:",array" json:"tags"`
	Status        string    `bun:",nullzero" json:"status"`
	OwnerID       int64     `json:"owner_id"`
	CreatedAt     time.Time `bun:",nullzero" json:"created_at"`
}

// UserIn is the body of POST /api/v1/users.
type UserIn struct {
	Body struct {
		Name     string `json:"name" minLength:"1"`
		Email    string `json:"email" minLength:"1"`
		Password string `json:"password" minLength:"8"`
	}
}

// UserOut answers a sign-up.
type UserOut struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// TokenIn is the form of POST /api/v1/auth/token.
type TokenIn struct {
	GrantType string `form:"grant_type"`
	Username  string `form:"username"`
	Password  string `form:"password"`
}

// TokenOut is an opaque bearer token.
type TokenOut struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
}

// ListIn pages GET /api/v1/tasks.
type ListIn struct {
	Limit int `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

// ListOut is a page of tasks.
type ListOut struct {
	Items []Task `json:"items"`
}

// ByID addresses one task.
type ByID struct {
	ID int64 `path:"id"`
}

// CreateIn is POST /api/v1/tasks: a bearer token and the task.
type CreateIn struct {
	Authorization string `header:"Authorization"`
	Body          struct {
		Title    string   `json:"title" minLength:"1" maxLength:"200"`
		Priority int      `json:"priority" minimum:"0" maximum:"5" default:"1"`
		Tags     []string `json:"tags"`
	}
}

func digest(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func main() {
	app := covet.New(covet.WithHealth())
	// The pool size every app of the comparison gets (PEER_DB_CONNS, set by
	// scripts/instance.sh; the orm plugin's default is 20).
	conns, err := strconv.Atoi(os.Getenv("PEER_DB_CONNS"))
	if err != nil || conns < 1 {
		conns = 20
	}
	if err := app.Install(orm.New(orm.WithDriver(pgsql.Driver()), orm.WithDSN(os.Getenv("DATABASE_URL")), orm.WithMaxOpenConns(conns))); err != nil {
		log.Fatal(err)
	}
	api := app.Group("/api/v1")

	covet.Post(api, "/users", func(c *covet.Context, in *UserIn) (*UserOut, error) {
		db, err := orm.DB(c)
		if err != nil {
			return nil, err
		}
		out := UserOut{Email: in.Body.Email, Name: in.Body.Name}
		err = db.QueryRowContext(c.Context(), "INSERT INTO peer_users (email, name, password_hash) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING id",
			in.Body.Email, in.Body.Name, digest(in.Body.Password)).Scan(&out.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, covet.NewError(http.StatusConflict, "email taken")
		}
		return &out, err
	}).Status(http.StatusCreated)

	covet.Post(api, "/auth/token", func(c *covet.Context, in *TokenIn) (*TokenOut, error) {
		if in.GrantType != "password" {
			return nil, covet.NewError(http.StatusBadRequest, "unsupported_grant_type")
		}
		db, err := orm.DB(c)
		if err != nil {
			return nil, err
		}
		var id int64
		err = db.NewSelect().Table("peer_users").Column("id").
			Where("email = ? AND password_hash = ?", in.Username, digest(in.Password)).Scan(c.Context(), &id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, covet.NewError(http.StatusBadRequest, "invalid_grant")
		} else if err != nil {
			return nil, err
		}
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		tok := hex.EncodeToString(b)
		if _, err := db.ExecContext(c.Context(), "INSERT INTO peer_tokens (token, user_id) VALUES (?, ?)", digest(tok), id); err != nil {
			return nil, err
		}
		return &TokenOut{AccessToken: tok, TokenType: "Bearer"}, nil
	})

	covet.Get(api, "/tasks", func(c *covet.Context, in *ListIn) (*ListOut, error) {
		db, err := orm.DB(c)
		if err != nil {
			return nil, err
		}
		out := ListOut{Items: []Task{}}
		err = db.NewSelect().Model(&out.Items).Order("id DESC").Limit(int64(in.Limit)).Scan(c.Context())
		return &out, err
	})

	covet.Get(api, "/tasks/{id}", func(c *covet.Context, in *ByID) (*Task, error) {
		db, err := orm.DB(c)
		if err != nil {
			return nil, err
		}
		var t Task
		// sql.ErrNoRows answers 404 (the orm plugin's error mapping).
		return &t, db.NewSelect().Model(&t).Where("id = ?", in.ID).Scan(c.Context())
	})

	covet.Post(api, "/tasks", func(c *covet.Context, in *CreateIn) (*Task, error) {
		tok, ok := strings.CutPrefix(in.Authorization, "Bearer ")
		db, err := orm.DB(c)
		if err != nil {
			return nil, err
		}
		var owner int64
		if !ok || db.NewSelect().Table("peer_tokens").Column("user_id").Where("token = ?", digest(tok)).Scan(c.Context(), &owner) != nil {
			return nil, covet.NewError(http.StatusUnauthorized, "sign in")
		}
		t := Task{Title: in.Body.Title, Priority: in.Body.Priority, Tags: in.Body.Tags, OwnerID: owner}
		if t.Tags == nil {
			t.Tags = []string{}
		}
		_, err = db.NewInsert().Model(&t).Returning("*").Exec(c.Context())
		return &t, err
	}).Status(http.StatusCreated)

	if a := os.Getenv("PEER_PPROF_ADDR"); a != "" {
		servePprof(a)
	}
	addr := os.Getenv("PEER_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8081"
	}
	if err := app.Run(addr); err != nil {
		log.Fatal(err)
	}
}

// servePprof serves net/http/pprof's profiles on addr (PEER_PPROF_ADDR,
// e.g. 127.0.0.1:0; keep it private), on a mux of its own, as the
// taskboard's TASKBOARD_PPROF_ADDR does, and logs the address it listens on.
func servePprof(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("PEER_PPROF_ADDR: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("covetmin: pprof profiles served at http://%s/debug/pprof/ (keep this address private)", ln.Addr())
	go func() { _ = srv.Serve(ln) }()
}
