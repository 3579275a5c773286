package main

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
)

type notifyLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *notifyLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *notifyLogBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestAssignNotificationJob: on PostgreSQL, assigning a task (at creation
// or by a PATCH that changes the assignee) enqueues a "task assigned" job in
// the same transaction; a rolled-back assignment (unknown assignee) and an
// unchanged assignee enqueue none. The worker logs each notification.
func TestAssignNotificationJob(t *testing.T) {
	db := ormtest.Postgres(t)
	var logs notifyLogBuffer
	app, err := NewApp(Config{DatabaseURL: db.DSN, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), WriteLimit: ratelimit.PerSecond(100000),
		AllowedHosts: []string{"example.com"}}) // covettest's host
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	cl := covettest.New(t, app)
	count := func() (n int) {
		if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'task_assigned'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	ada, bearer := signUp(t, cl, "Ada", "ada@example.com") // writes need a signed-in user
	cl.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": "Ship v1", "assignee_id": ada.ID}).Do().ExpectStatus(201)
	cl.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": "Ghost", "assignee_id": 999}).Do().ExpectStatus(422)
	var docs Task
	cl.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": "Write docs"}).Do().ExpectStatus(201).Decode(&docs)
	if n := count(); n != 1 {
		t.Fatalf("%d notification jobs after one committed assignment, want 1", n)
	}
	path := "/api/v1/tasks/" + strconv.FormatInt(docs.ID, 10)
	cl.Patch(path).Header("Authorization", bearer).JSON(map[string]any{"assignee_id": ada.ID}).Do().ExpectStatus(200)
	cl.Patch(path).Header("Authorization", bearer).JSON(map[string]any{"title": "Write the docs"}).Do().ExpectStatus(200) // assignee unchanged
	if n := count(); n != 2 {
		t.Fatalf("%d notification jobs after two assignments, want 2", n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(logs.String(), "taskboard: task assigned") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("notifications not worked:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `"title":"Write docs"`) {
		t.Fatalf("notification lacks the task:\n%s", logs.String())
	}
}
