// Command taskboard is Covet's flagship example: a small team task board
// with users, tasks, comments and file attachments, persisted through the
// orm plugin (SQLite by default, PostgreSQL or MySQL with DATABASE_URL).
//
//	go run ./contrib/examples/taskboard                 # 127.0.0.1:8080, sqlite://taskboard.db
//	go run ./contrib/examples/taskboard -addr :9000
//	DATABASE_URL=postgres://postgres@127.0.0.1/test?sslmode=disable go run ./contrib/examples/taskboard
//	go run ./contrib/examples/taskboard migrate status  # up, down, status, create NAME
//	go run ./contrib/examples/taskboard openapi > openapi.json   # [--version 3.1|3.0] [--format json|yaml]
//	go run ./contrib/examples/taskboard settings        # the settings table [-markdown]
//
// Settings (type Settings, loaded by plugins/settings from flags, the
// environment and ./.env): TASKBOARD_ADDR, DATABASE_URL,
// TASKBOARD_FRONTEND_ORIGIN (CORS, comma-separated), REDIS_URL (rate limits,
// auth stores and live updates shared by instances), TASKBOARD_REDIS_TIMEOUT (each
// Redis call of the auth stores and rate limits, 500 ms), COVET_ENV, TASKBOARD_WEBHOOK_URL, TASKBOARD_WEBHOOK_SECRET,
// TASKBOARD_SECRET (token, session and CSRF keys), TASKBOARD_PUBLIC_URL and
// the GitHub/Google client IDs and secrets; unknown TASKBOARD_* variables are
// reported as errors. Writes need a signed-in user: a bearer token from
// POST /api/v1/auth/token or the browser session.
// The API is documented at /docs (Swagger UI), /redoc and /openapi.json.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/covetgo/covet/plugins/openapi"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/settings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, strings.TrimPrefix(err.Error(), flag.ErrHelp.Error()+"\n"))
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "taskboard:", err)
		os.Exit(1)
	}
}

// stdout is where commands (migrate) print; tests read it.
var stdout io.Writer = os.Stdout

func run(args []string, opts ...settings.Option) error {
	// `taskboard settings [-markdown]`: shown even when the settings are bad.
	if ran, err := settings.Command[Settings](args, os.Stdout, settings.WithPrefix("TASKBOARD_")); ran {
		return err
	}
	var rest []string
	s, err := settings.Load[Settings](settingsOptions(args, &rest, opts...)...)
	if err != nil {
		return err
	}
	if len(rest) > 0 && rest[0] == "migrate" {
		ctx := context.Background()
		db, err := orm.Open(ctx, s.DatabaseURL, drivers...)
		if err != nil {
			return err
		}
		defer db.Close()
		ms, err := migrations()
		if err != nil {
			return err
		}
		return orm.RunMigrateCommand(ctx, db, ms, rest[1:], orm.WithOutput(stdout))
	}
	if err := s.checkHosts(); err != nil {
		return err
	}
	cfg := s.config()
	app, err := NewApp(cfg)
	if err != nil {
		return err
	}
	if ran, err := openapi.Command(app, rest, os.Stdout); ran {
		return err
	}
	if cfg.Development {
		app.Logger().Info("taskboard: routes" + routeTable(app))
	}
	if len(cfg.Secret) == 0 {
		app.Logger().Warn("taskboard: TASKBOARD_SECRET is not set: a random key signs tokens and sessions, so sign-ins end at restart")
	}
	if s.PprofAddr != "" {
		if err := servePprof(s.PprofAddr, app.Logger()); err != nil {
			return err
		}
	}
	app.Logger().Info("taskboard: listening", "url", "http://"+s.Addr, "database", orm.Redact(s.DatabaseURL))
	return app.Run(s.Addr)
}

// printSettings prints the table of settings (-markdown: as in the README).
func printSettings(w io.Writer, args []string) error {
	_, err := settings.Command[Settings](append([]string{"settings"}, args...), w, settings.WithPrefix("TASKBOARD_"))
	return err
}
