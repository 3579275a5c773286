package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
)

// hookIn is what a webhook receiver accepts: the fake below refuses (422)
// a call that breaks the contract the README documents.
type hookIn struct {
	Event     string `header:"X-Taskboard-Event" required:"true" enum:"task.created"`
	Signature string `header:"X-Taskboard-Signature" required:"true" pattern:"^sha256=[0-9a-f]{64}$"`
	Body      struct {
		Event string `json:"event" enum:"task.created"`
		Task  struct {
			ID    int64  `json:"id" minimum:"1"`
			Title string `json:"title" minLength:"1"`
		} `json:"task"`
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// webhookApp starts the taskboard on SQLite with its webhook pointed at a
// fake receiver at https://hooks.example.com/taskboard.
func webhookApp(t *testing.T, timeout time.Duration) (cl *covettest.Client, as string, fake *covettest.Fake, logs *syncBuffer) {
	t.Helper()
	fake = covettest.FakeService(t)
	covet.Post(fake, "/taskboard", func(c *covet.Context, in *hookIn) (*struct{}, error) { return nil, nil })
	client := &http.Client{Timeout: timeout}
	fake.Intercept(client, "hooks.example.com")
	logs = &syncBuffer{}
	app, err := NewApp(Config{DatabaseURL: ormtest.New(t, "sqlite").DSN, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		WriteLimit: ratelimit.PerSecond(100000), WebhookURL: "https://hooks.example.com/taskboard", WebhookSecret: "whsec", WebhookClient: client,
		AllowedHosts: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	cl = covettest.New(t, app)
	_, as = signUp(t, cl, "Ada", "ada@example.com")
	return cl, as, fake, logs
}

func TestWebhookOnTaskCreated(t *testing.T) {
	cl, as, fake, logs := webhookApp(t, 5*time.Second)
	var task Task
	cl.Post("/api/v1/tasks").Header("Authorization", as).JSON(map[string]any{"title": "Ship v1"}).Do().ExpectStatus(201).Decode(&task)
	cl.Post("/api/v1/tasks").Header("Authorization", as).JSON(map[string]any{"title": ""}).Do().ExpectStatus(422) // nothing created, nothing sent

	fake.ExpectCalls("POST /taskboard", 1)
	call := fake.LastCall("POST /taskboard")
	if call.Status != http.StatusNoContent || call.Host != "hooks.example.com" {
		t.Fatalf("call %+v (the fake refused it?) logs: %s", call, logs)
	}
	var ev WebhookEvent
	call.JSON(t, &ev)
	if ev.Event != "task.created" || ev.Task.ID != task.ID || ev.Task.Title != "Ship v1" {
		t.Errorf("event %+v", ev)
	}
	if got, want := call.Header.Get("X-Taskboard-Signature"), "sha256="+sign([]byte("whsec"), call.Body); got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
	if strings.Contains(logs.String(), "webhook failed") {
		t.Errorf("logs: %s", logs)
	}
}

// A failing or hanging receiver never fails the API call; it is logged.
func TestWebhookReceiverDown(t *testing.T) {
	t.Run("error", func(t *testing.T) {
		cl, as, fake, logs := webhookApp(t, 5*time.Second)
		fake.FailNext("POST /taskboard", http.StatusServiceUnavailable, 1)
		cl.Post("/api/v1/tasks").Header("Authorization", as).JSON(map[string]any{"title": "A"}).Do().ExpectStatus(201)
		fake.ExpectCalls("POST /taskboard", 1)
		if !strings.Contains(logs.String(), "webhook answered 503") {
			t.Errorf("logs: %s", logs)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		cl, as, fake, logs := webhookApp(t, 100*time.Millisecond)
		fake.Hang("POST /taskboard")
		cl.Post("/api/v1/tasks").Header("Authorization", as).JSON(map[string]any{"title": "B"}).Do().ExpectStatus(201)
		cl.Get("/api/v1/tasks").Do().ExpectStatus(200).ExpectBodyContains(`"B"`)
		// net/http reports the client timeout as "Client.Timeout exceeded" or, when the
		// deadline fires first in the dial/transport, as "context deadline exceeded".
		if l := logs.String(); !strings.Contains(l, "webhook failed") ||
			!(strings.Contains(l, "Client.Timeout exceeded") || strings.Contains(l, "context deadline exceeded")) {
			t.Errorf("logs: %s", logs)
		}
	})
}
