// Command gin is the Gin peer of the scale-out comparison: the taskboard's
// JSON API part the harness drives (sign-up, password token, list, get and
// create tasks, /readyz) on PostgreSQL through pgx, written the way a Gin
// user would. Run by scripts/instance.sh when SCALEOUT_APP=gin.
//
//	DATABASE_URL=postgres://... PEER_ADDR=127.0.0.1:8081 go run ./contrib/scaleout/peers/gin
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type task struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Priority  int       `json:"priority"`
	Tags      []string  `json:"tags"`
	Status    string    `json:"status"`
	OwnerID   int64     `json:"owner_id"`
	CreatedAt time.Time `json:"created_at"`
}

const taskCols = "id, title, priority, tags, status, owner_id, created_at"

func scanTask(row pgx.Row) (task, error) {
	var t task
	err := row.Scan(&t.ID, &t.Title, &t.Priority, &t.Tags, &t.Status, &t.OwnerID, &t.CreatedAt)
	return t, err
}

func hash(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func main() {
	gin.SetMode(gin.ReleaseMode)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	// The pool size every app of the comparison gets (PEER_DB_CONNS, set by
	// scripts/instance.sh); pgx's own default is max(4, CPUs).
	if n, err := strconv.ParseInt(os.Getenv("PEER_DB_CONNS"), 10, 32); err == nil && n > 0 {
		cfg.MaxConns = int32(n)
	}
	db, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/readyz", func(c *gin.Context) {
		if err := db.Ping(c); err != nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "down"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	api := r.Group("/api/v1")
	api.POST("/users", func(c *gin.Context) {
		var in struct {
			Name     string `json:"name" binding:"required"`
			Email    string `json:"email" binding:"required"`
			Password string `json:"password" binding:"required,min=8"`
		}
		if err := c.ShouldBindJSON(&in); err != nil {
			c.JSON(http.StatusUnprocessableEntity, gin.H{"detail": err.Error()})
			return
		}
		var id int64
		err := db.QueryRow(c, "INSERT INTO peer_users (email, name, password_hash) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING RETURNING id",
			in.Email, in.Name, hash(in.Password)).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			c.JSON(http.StatusConflict, gin.H{"detail": "email taken"})
			return
		}
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"detail": "database"})
			return
		}
		c.JSON(http.StatusCreated, gin.H{"id": id, "email": in.Email, "name": in.Name})
	})
	api.POST("/auth/token", func(c *gin.Context) {
		if c.PostForm("grant_type") != "password" {
			c.JSON(http.StatusBadRequest, gin.H{"error": "unsupported_grant_type"})
			return
		}
		var id int64
		err := db.QueryRow(c, "SELECT id FROM peer_users WHERE email = $1 AND password_hash = $2",
			c.PostForm("username"), hash(c.PostForm("password"))).Scan(&id)
		if err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": "invalid_grant"})
			return
		}
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		tok := hex.EncodeToString(b)
		if _, err := db.Exec(c, "INSERT INTO peer_tokens (token, user_id) VALUES ($1, $2)", hash(tok), id); err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"detail": "database"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"access_token": tok, "token_type": "Bearer"})
	})
	api.GET("/tasks", func(c *gin.Context) {
		limit, err := strconv.Atoi(c.DefaultQuery("limit", "20"))
		if err != nil || limit < 1 || limit > 100 {
			c.JSON(http.StatusUnprocessableEntity, gin.H{"detail": "limit: 1 to 100"})
			return
		}
		rows, err := db.Query(c, "SELECT "+taskCols+" FROM tasks ORDER BY id DESC LIMIT $1", limit)
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"detail": "database"})
			return
		}
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (task, error) { return scanTask(r) })
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"detail": "database"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"items": out})
	})
	api.GET("/tasks/:id", func(c *gin.Context) {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			c.JSON(http.StatusNotFound, gin.H{"detail": "no such task"})
			return
		}
		t, err := scanTask(db.QueryRow(c, "SELECT "+taskCols+" FROM tasks WHERE id = $1", id))
		if errors.Is(err, pgx.ErrNoRows) {
			c.JSON(http.StatusNotFound, gin.H{"detail": "no such task"})
			return
		}
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"detail": "database"})
			return
		}
		c.JSON(http.StatusOK, t)
	})
	api.POST("/tasks", func(c *gin.Context) {
		tok, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		var owner int64
		if !ok || db.QueryRow(c, "SELECT user_id FROM peer_tokens WHERE token = $1", hash(tok)).Scan(&owner) != nil {
			c.JSON(http.StatusUnauthorized, gin.H{"detail": "sign in"})
			return
		}
		var in struct {
			Title    string   `json:"title" binding:"required,max=200"`
			Priority int      `json:"priority" binding:"min=0,max=5"`
			Tags     []string `json:"tags"`
		}
		if err := c.ShouldBindJSON(&in); err != nil {
			c.JSON(http.StatusUnprocessableEntity, gin.H{"detail": err.Error()})
			return
		}
		if in.Tags == nil {
			in.Tags = []string{}
		}
		t, err := scanTask(db.QueryRow(c, "INSERT INTO tasks (title, priority, tags, owner_id) VALUES ($1, $2, $3, $4) RETURNING "+taskCols,
			in.Title, in.Priority, in.Tags, owner))
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"detail": "database"})
			return
		}
		c.JSON(http.StatusCreated, t)
	})
	addr := os.Getenv("PEER_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8081"
	}
	log.Fatal(http.ListenAndServe(addr, r)) // #nosec G114 -- the Gin peer of the scale-out benchmark, run on loopback by the harness, never deployed; it keeps Gin's documented default serving
}
