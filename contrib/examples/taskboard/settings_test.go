package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/settings"
)

func loadFor(t *testing.T, args, env []string) (*Settings, []string, error) {
	t.Helper()
	var rest []string
	s, err := settings.Load[Settings](settingsOptions(args, &rest, settings.WithEnviron(env))...)
	return s, rest, err
}

func TestSettingsDefaults(t *testing.T) {
	s, _, err := loadFor(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.config()
	if s.Addr != "127.0.0.1:8080" || cfg.DatabaseURL != "sqlite://taskboard.db" || !cfg.Development || cfg.RedisURL != "" ||
		cfg.RedisTimeout != 500*time.Millisecond || cfg.DBMaxConns != 20 || !reflect.DeepEqual(cfg.FrontendOrigins, []string{"http://localhost:5173"}) {
		t.Fatalf("%+v %+v", s, cfg)
	}
}

// The names the hand-written flag/os.Getenv code read keep working.
func TestSettingsEnvironmentAndFlags(t *testing.T) {
	env := []string{"TASKBOARD_ADDR=:9000", "DATABASE_URL=postgres://u@db/test", "COVET_ENV=production",
		"TASKBOARD_FRONTEND_ORIGIN=https://a.example, https://b.example", "REDIS_URL=redis://cache:6379/0",
		"TASKBOARD_REDIS_TIMEOUT=2s", "TASKBOARD_DB_MAX_CONNS=7"}
	s, rest, err := loadFor(t, []string{"migrate", "status"}, env)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.config()
	if s.Addr != ":9000" || cfg.DatabaseURL != "postgres://u@db/test" || cfg.Development || cfg.RedisURL != "redis://cache:6379/0" ||
		cfg.RedisTimeout != 2*time.Second || cfg.redisTimeout() != 2*time.Second || cfg.DBMaxConns != 7 || len(poolOptions(cfg)) != 1 ||
		!reflect.DeepEqual(cfg.FrontendOrigins, []string{"https://a.example", "https://b.example"}) || !reflect.DeepEqual(rest, []string{"migrate", "status"}) {
		t.Fatalf("%+v %+v %v", s, cfg, rest)
	}
	s, _, err = loadFor(t, []string{"-addr", ":7000", "-db", "sqlite://x.db", "-dev", "-frontend", "", "-redis", "redis://r:1/2"}, env)
	if err != nil {
		t.Fatal(err)
	}
	cfg = s.config()
	if s.Addr != ":7000" || cfg.DatabaseURL != "sqlite://x.db" || !cfg.Development || len(cfg.FrontendOrigins) != 0 || cfg.RedisURL != "redis://r:1/2" {
		t.Fatalf("flags: %+v %+v", s, cfg)
	}
}

func TestSettingsErrors(t *testing.T) {
	_, _, err := loadFor(t, nil, []string{"TASKBOARD_ADRR=:80", "COVET_ENV=staging", "REDIS_URL=not a url"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"TASKBOARD_ADRR (environment): is not a known variable (did you mean TASKBOARD_ADDR?)",
		`COVET_ENV (environment): must be one of: development, dev, production, got "staging"`,
		`REDIS_URL (environment): must be an absolute URI, got "not a url"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// The README's table is the generated one: go run ./contrib/examples/taskboard settings -markdown
func TestREADMEListsSettings(t *testing.T) {
	var b bytes.Buffer
	if err := printSettings(&b, []string{"-markdown"}); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), b.String()) {
		t.Fatalf("contrib/examples/README.md does not hold the settings table; paste the output of\n  go run ./contrib/examples/taskboard settings -markdown\n%s", b.String())
	}
}

func TestSettingsWebhookSecretNeverPrints(t *testing.T) {
	s, _, err := loadFor(t, nil, []string{"TASKBOARD_WEBHOOK_URL=https://hooks.example.com/x", "TASKBOARD_WEBHOOK_SECRET=whsec-123"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := s.config(); cfg.WebhookSecret != "whsec-123" || cfg.WebhookURL != "https://hooks.example.com/x" {
		t.Fatalf("%+v", cfg)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%v %+v %#v", s, *s, s)
	slog.New(slog.NewJSONHandler(&b, nil)).Info("settings", "s", s)
	if strings.Contains(b.String(), "whsec-123") {
		t.Fatalf("secret printed: %s", b.String())
	}
	if _, _, err := loadFor(t, []string{"-webhook-secret", "x"}, nil); err == nil {
		t.Fatal("the secret is not a flag")
	}
}
