package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/openapi/openapitest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
)

// startApp builds and starts the taskboard on the given database, with a
// write limit no test reaches unless it sets one.
func startApp(t *testing.T, dsn string) (*covet.App, *covettest.Client) {
	t.Helper()
	app, err := NewApp(Config{DatabaseURL: dsn, Logger: slog.New(slog.DiscardHandler), WriteLimit: ratelimit.PerSecond(100000),
		AllowedHosts: []string{"example.com"}}) // covettest's host
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	return app, covettest.New(t, app)
}

// TestTaskboardOnEveryDatabase runs the API's main flows on SQLite,
// PostgreSQL and MariaDB, each a fresh database.
func TestTaskboardOnEveryDatabase(t *testing.T) {
	for _, d := range ormtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := ormtest.New(t, d)
			_, cl := startApp(t, db.DSN)
			testFlows(t, cl)
		})
	}
}

func testFlows(t *testing.T, cl *covettest.Client) {
	var ada User
	cl.Post("/api/v1/users").JSON(map[string]any{"name": "Ada", "email": "Ada@Example.com", "password": "analytical engine"}).Do().
		ExpectStatus(201).ExpectHeader("Location", "/api/v1/users/1").Decode(&ada)
	if ada.ID != 1 || ada.Email != "ada@example.com" {
		t.Fatalf("created user %+v", ada)
	}
	as := "Bearer " + token(t, cl, "ada@example.com", "analytical engine").AccessToken
	p := cl.Post("/api/v1/users").JSON(map[string]any{"name": "Ada 2", "email": "ada@example.com", "password": "12345678"}).Do().ExpectStatus(409).Problem()
	if p.Detail == "" || strings.Contains(p.Detail, "INSERT") {
		t.Errorf("duplicate email problem %+v", p)
	}

	var task Task
	cl.Post("/api/v1/tasks").Header("Authorization", as).JSON(map[string]any{"title": "Ship v1", "tags": []string{"release", "urgent"}, "assignee_id": ada.ID, "priority": 1}).Do().
		ExpectStatus(201).ExpectHeader("Location", "/api/v1/tasks/1").Decode(&task)
	if task.Status != "todo" || task.Priority != 1 || len(task.Tags) != 2 || task.AssigneeID == nil || *task.AssigneeID != ada.ID {
		t.Fatalf("created task %+v", task)
	}
	cl.Post("/api/v1/tasks").Header("Authorization", as).JSON(map[string]any{"title": "Write docs", "status": "doing", "tags": []string{"docs"}}).Do().ExpectStatus(201)
	cl.Post("/api/v1/tasks").Header("Authorization", as).JSON(map[string]any{"title": "Unknown assignee", "assignee_id": 999}).Do().ExpectStatus(422)

	// Validation: every failing field at once.
	p = cl.Post("/api/v1/tasks").Header("Authorization", as).JSON(map[string]any{"title": "", "status": "later", "priority": 9, "tags": []string{"Bad Tag"}}).Do().
		ExpectStatus(422).Problem()
	fields := map[string]bool{}
	for _, e := range p.Errors {
		fields[e.Location+":"+e.Field] = true
	}
	for _, f := range []string{"body:title", "body:status", "body:priority", "body:tags[0]"} {
		if !fields[f] && !fields[strings.Replace(f, "[0]", ".0", 1)] {
			t.Errorf("422 lacks %s: %+v", f, p.Errors)
		}
	}
	cl.Post("/api/v1/tasks").Header("Authorization", as).RawJSON(`{"title": "x",`).Do().ExpectStatus(400)
	cl.Post("/api/v1/tasks").Header("Authorization", as).Text("title=x").Do().ExpectStatus(415)

	var page struct {
		Items []Task `json:"items"`
		Total int    `json:"total"`
	}
	cl.Get("/api/v1/tasks").Query("tag", "release").Do().ExpectStatus(200).Decode(&page)
	if page.Total != 1 || page.Items[0].Title != "Ship v1" {
		t.Errorf("tag filter %+v", page)
	}
	cl.Get("/api/v1/tasks").Query("status", "doing").Query("limit", "1").Do().ExpectStatus(200).Decode(&page)
	if page.Total != 1 || page.Items[0].Title != "Write docs" {
		t.Errorf("status filter %+v", page)
	}
	cl.Get("/api/v1/tasks").Query("limit", "0").Do().ExpectStatus(422)

	var updated Task
	cl.Patch("/api/v1/tasks/1").Header("Authorization", as).JSON(map[string]any{"status": "done"}).Do().ExpectStatus(200).Decode(&updated)
	if updated.Status != "done" || updated.Title != "Ship v1" {
		t.Errorf("patched %+v", updated)
	}
	cl.Patch("/api/v1/tasks/77").Header("Authorization", as).JSON(map[string]any{"status": "done"}).Do().ExpectStatus(404)
	cl.Get("/api/v1/tasks/abc").Do().ExpectStatus(404)

	var cm Comment
	cl.Post("/api/v1/tasks/1/comments").Header("Authorization", as).JSON(map[string]any{"body": "on it"}).Do().ExpectStatus(201).Decode(&cm)
	var comments CommentList
	cl.Get("/api/v1/tasks/1/comments").Do().ExpectStatus(200).Decode(&comments)
	if len(comments.Items) != 1 || comments.Items[0].Body != "on it" {
		t.Errorf("comments %+v", comments)
	}

	content := bytes.Repeat([]byte("covet "), 1000)
	var att Attachment
	cl.Post("/api/v1/tasks/1/attachments").Header("Authorization", as).File("file", "../../etc/notes.txt", content).Do().ExpectStatus(201).Decode(&att)
	if att.Filename != "notes.txt" || att.Size != int64(len(content)) {
		t.Errorf("attachment %+v", att)
	}
	cl.Get(fmt.Sprintf("/api/v1/tasks/1/attachments/%d", att.ID)).Do().ExpectStatus(200).ExpectBody(string(content)).
		ExpectHeader("Content-Disposition", `attachment; filename="notes.txt"`)
	cl.Post("/api/v1/tasks/1/attachments").Header("Authorization", as).File("file", "big.bin", bytes.Repeat([]byte{1}, maxAttachment+1)).Do().ExpectStatus(413)
	cl.Post("/api/v1/tasks/1/attachments").Header("Authorization", as).Field("other", "x").Do().ExpectStatus(422)

	cl.Delete("/api/v1/tasks/2").Header("Authorization", as).Do().ExpectStatus(204)
	cl.Get("/api/v1/tasks/2").Do().ExpectStatus(404)
	cl.Delete("/api/v1/tasks/2").Header("Authorization", as).Do().ExpectStatus(404)

	var ready covet.HealthResponse
	cl.Get("/readyz").Do().ExpectStatus(200).Decode(&ready)
	if ready.Status != covet.HealthOK || len(ready.Plugins) != 0 { // the public answer names only failing plugins
		t.Errorf("readyz %+v", ready)
	}
	cl.Get("/").Do().ExpectStatus(200).ExpectHeader("X-Content-Type-Options", "nosniff")
	if r := cl.Get("/healthz").Do().ExpectStatus(200); r.Header.Get("X-Request-Id") == "" {
		t.Error("no request ID on responses")
	}
}

func TestMigrateCommand(t *testing.T) {
	db := ormtest.SQLite(t)
	var out bytes.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })
	migrate := func(cmd string) string {
		t.Helper()
		out.Reset()
		if err := run([]string{"-db", db.DSN, "migrate", cmd}); err != nil {
			t.Fatalf("migrate %s: %v", cmd, err)
		}
		return out.String()
	}
	if got := migrate("status"); !strings.Contains(got, "pending  001_initial") {
		t.Errorf("status before up:\n%s\nwant 001_initial pending", got)
	}
	if got := migrate("up"); !strings.Contains(got, "applied 001_initial") {
		t.Errorf("up:\n%s\nwant 001_initial applied", got)
	}
	if got := migrate("status"); !strings.Contains(got, "applied  001_initial (group 1,") || strings.Contains(got, "pending") {
		t.Errorf("status after up:\n%s\nwant 001_initial applied in group 1, nothing pending", got)
	}
	if got := migrate("up"); !strings.Contains(got, "nothing to apply") {
		t.Errorf("second up:\n%s\nwant nothing to apply", got)
	}
	var n int
	if err := db.NewSelect().Table("tasks").ColumnExpr("count(*)").Scan(context.Background(), &n); err != nil {
		t.Fatalf("tasks table after migrate up: %v", err)
	}
	if n != 0 {
		t.Errorf("tasks after migrate up: %d rows, want an empty table", n)
	}
}

// TestDocumentedAndValidatedAlike: every route of the taskboard is in its
// OpenAPI document, and every constraint the document declares is enforced
// with a 422 naming the field (and the other way round).
func TestDocumentedAndValidatedAlike(t *testing.T) {
	db := ormtest.SQLite(t)
	app, cl := startApp(t, db.DSN)
	// Give the routes that address a task or user something to address.
	_, as := signUp(t, cl, "Ada", "ada@example.com")
	cl.Post("/api/v1/tasks").Header("Authorization", as).JSON(map[string]any{"title": "first"}).Do().ExpectStatus(201)
	n := openapitest.CheckCoverage(t, app)
	if n < 15 {
		t.Errorf("document covers %d operations", n)
	}
	signedIn := openapitest.WithRequest(func(_ *covet.RouteInfo, r *http.Request) { r.Header.Set("Authorization", as) })
	rep := openapitest.CheckConstraints(t, app, signedIn)
	t.Logf("constraint agreement: %+v", rep)
	r := cl.Get("/openapi.json").Do().ExpectStatus(200)
	if !strings.Contains(r.Text(), `"Taskboard API"`) {
		t.Errorf("document title missing")
	}
	cl.Get("/docs").Do().ExpectStatus(200)
}

// TestCORSAndWriteLimit: the front-end origin may call the API from a
// browser, others get no CORS headers, and writes are limited per client.
func TestCORSAndWriteLimit(t *testing.T) {
	db := ormtest.SQLite(t)
	app, err := NewApp(Config{DatabaseURL: db.DSN, Logger: slog.New(slog.DiscardHandler),
		FrontendOrigins: []string{"https://board.example.com"}, WriteLimit: ratelimit.PerMinute(3), AllowedHosts: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	cl := covettest.New(t, app)
	_, as := signUp(t, cl, "Ada", "ada@example.com")
	cl.Options("/api/v1/tasks").Header("Origin", "https://board.example.com").
		Header("Access-Control-Request-Method", "POST").Header("Access-Control-Request-Headers", "content-type").Do().
		ExpectStatus(204).ExpectHeader("Access-Control-Allow-Origin", "https://board.example.com").
		ExpectHeader("Access-Control-Allow-Credentials", "true")
	cl.Get("/api/v1/tasks").Header("Origin", "https://evil.example").Do().ExpectStatus(200).
		ExpectNoHeader("Access-Control-Allow-Origin")
	for i := 0; i < 3; i++ {
		cl.Post("/api/v1/tasks").Header("Authorization", as).Header("Origin", "https://board.example.com").JSON(map[string]any{"title": fmt.Sprint("t", i)}).Do().
			ExpectStatus(201)
	}
	r := cl.Post("/api/v1/tasks").Header("Authorization", as).Header("Origin", "https://board.example.com").JSON(map[string]any{"title": "one too many"}).Do().
		ExpectStatus(429).ExpectHeader("Access-Control-Allow-Origin", "https://board.example.com")
	if r.Header.Get("Retry-After") == "" || r.Header.Get("RateLimit-Policy") == "" {
		t.Errorf("429 headers %v", r.Header)
	}
	// Reads are not limited.
	cl.Get("/api/v1/tasks").Do().ExpectStatus(200)
}
