// Command taskboard is Covet's flagship example: a small team task board
// with users, tasks, comments and file attachments, persisted through the
// orm plugin (SQLite by default, PostgreSQL or MySQL with DATABASE_URL).
//
//	go run ./contrib/examples/taskboard                 # 127.0.0.1:8080, sqlite://taskboard.db
//	go run ./contrib/examples/taskboard -addr :9000
//	DATABASE_URL=postgres://postgres@127.0.0.1/test?sslmode=disable go run ./contrib/examples/taskboard
//	go run ./contrib/examples/taskboard migrate status  # up, down, status, create NAME
//	go run ./contrib/examples/taskboard openapi > openapi.json   # [--version 3.1|3.0] [--format json|yaml]
//
// Environment: TASKBOARD_ADDR, DATABASE_URL, TASKBOARD_FRONTEND_ORIGIN (CORS,
// comma-separated), REDIS_URL (shared rate limits), COVET_ENV.
// The API is documented at /docs (Swagger UI), /redoc and /openapi.json.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/covetgo/covet/plugins/openapi"
	"github.com/covetgo/covet/plugins/orm"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "taskboard:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(args []string) error {
	fs := flag.NewFlagSet("taskboard", flag.ContinueOnError)
	addr := fs.String("addr", env("TASKBOARD_ADDR", "127.0.0.1:8080"), "listen address (env TASKBOARD_ADDR)")
	dsn := fs.String("db", env("DATABASE_URL", "sqlite://taskboard.db"), "database URL (env DATABASE_URL)")
	dev := fs.Bool("dev", env("COVET_ENV", "development") == "development", "development mode (env COVET_ENV; production: COVET_ENV=production)")
	frontend := fs.String("frontend", env("TASKBOARD_FRONTEND_ORIGIN", "http://localhost:5173"), "browser origins allowed to call the API, comma-separated (env TASKBOARD_FRONTEND_ORIGIN)")
	redisURL := fs.String("redis", env("REDIS_URL", ""), "Redis URL for rate limits shared by instances (env REDIS_URL; default: in memory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "migrate" {
		ctx := context.Background()
		db, err := orm.Open(ctx, *dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		ms, err := migrations()
		if err != nil {
			return err
		}
		return orm.RunMigrateCommand(ctx, db, ms, rest[1:], orm.WithOutput(os.Stdout))
	}
	cfg := Config{DatabaseURL: *dsn, Development: *dev, RedisURL: *redisURL}
	for _, o := range strings.Split(*frontend, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.FrontendOrigins = append(cfg.FrontendOrigins, o)
		}
	}
	app, err := NewApp(cfg)
	if err != nil {
		return err
	}
	if ran, err := openapi.Command(app, rest, os.Stdout); ran {
		return err
	}
	if *dev {
		app.Logger().Info("taskboard: routes" + routeTable(app))
	}
	app.Logger().Info("taskboard: listening", "url", "http://"+*addr, "database", orm.Redact(*dsn))
	return app.Run(*addr)
}
