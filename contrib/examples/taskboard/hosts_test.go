package main

import (
	"log/slog"
	"net/http"
	"net/url"
	"testing"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

// Issue 13 #12: the taskboard, in its default configuration on 127.0.0.1,
// refuses requests for other host names, so a page on another site cannot
// drive the API through a DNS-rebinding name (evil.example resolving to
// 127.0.0.1). Health probes stay open to any host (probes use the IP).
func TestDNSRebindingRefused(t *testing.T) {
	app, err := NewApp(Config{DatabaseURL: ormtest.SQLite(t).DSN, Logger: slog.New(slog.DiscardHandler), Development: true})
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	cl := covettest.NewServer(t, app)
	u, _ := url.Parse(cl.URL())

	// The server's own address and the localhost names are served.
	cl.Get("/api/v1/tasks").Do().ExpectStatus(http.StatusOK)
	cl.Get("/api/v1/tasks").Host("localhost:" + u.Port()).Do().ExpectStatus(http.StatusOK)
	_, ada := signUp(t, cl, "Ada", "ada@example.com")
	cl.Post("/api/v1/tasks").Host("localhost").Header("Authorization", ada).JSON(map[string]any{"title": "mine"}).Do().ExpectStatus(http.StatusCreated)

	for _, host := range []string{"evil.example", "evil.example:" + u.Port(), "localhost.evil.example"} {
		cl.Get("/api/v1/tasks").Host(host).Do().ExpectStatus(http.StatusBadRequest)
		cl.Post("/api/v1/tasks").Host(host).Header("Authorization", ada).JSON(map[string]any{"title": "rebound"}).Do().ExpectStatus(http.StatusBadRequest)
	}
	var page struct{ Items []Task }
	cl.Get("/api/v1/tasks").Do().ExpectStatus(http.StatusOK).Decode(&page)
	if len(page.Items) != 1 || page.Items[0].Title != "mine" {
		t.Errorf("tasks = %+v, want only the one created through localhost", page.Items)
	}
	cl.Get("/healthz").Host("10.0.0.7:8080").Do().ExpectStatus(http.StatusOK)
}

// In production the allowed hosts come from the settings, and the
// taskboard refuses to start without them.
func TestAllowedHostsSettings(t *testing.T) {
	s, _, err := loadFor(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.checkHosts(); err != nil || len(s.config().AllowedHosts) != 0 {
		t.Errorf("development default: %v, %v (want the localhost names, set by NewApp)", err, s.config().AllowedHosts)
	}
	s, _, err = loadFor(t, nil, []string{"COVET_ENV=production"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.checkHosts(); err == nil {
		t.Error("production without TASKBOARD_ALLOWED_HOSTS started")
	}
	s, _, err = loadFor(t, []string{"-allowed-hosts", "board.example.com,*.board.example.com"}, []string{"COVET_ENV=production"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.checkHosts(); err != nil {
		t.Error(err)
	}
	app, err := NewApp(Config{DatabaseURL: ormtest.SQLite(t).DSN, Logger: slog.New(slog.DiscardHandler), AllowedHosts: s.config().AllowedHosts})
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	cl := covettest.New(t, app)
	cl.Get("/api/v1/tasks").Host("board.example.com").Do().ExpectStatus(http.StatusOK)
	cl.Get("/api/v1/tasks").Host("eu.board.example.com").Do().ExpectStatus(http.StatusOK)
	cl.Get("/api/v1/tasks").Host("localhost").Do().ExpectStatus(http.StatusBadRequest)
	cl.Get("/api/v1/tasks").Host("evil.example").Do().ExpectStatus(http.StatusBadRequest)
}
