package settings_test

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/covetgo/covet/plugins/settings"
)

type Config struct {
	Addr     string          `default:"127.0.0.1:8080" doc:"listen address"`
	Database *url.URL        `env:"DATABASE_URL" flag:"db" required:"true" doc:"database URL"`
	Workers  int             `minimum:"1" maximum:"64" default:"4" doc:"background workers"`
	Timeout  time.Duration   `default:"5s" doc:"request timeout"`
	Origins  []string        `doc:"CORS origins, comma-separated"`
	APIKey   settings.Secret `doc:"payment API key"`
	Mode     string          `enum:"development,production" default:"development"`
}

func ExampleLoad() {
	cfg, err := settings.Load[Config](
		settings.WithPrefix("APP_"),
		settings.WithEnvFiles(".env"),                // skipped when missing
		settings.WithSecretsDir("/run/secrets"),      // skipped when missing
		settings.WithArgs([]string{"-workers", "8"}), // os.Args[1:] in a program
		settings.WithEnviron([]string{"DATABASE_URL=postgres://db.internal/app", "APP_API_KEY=k-123", "APP_ORIGINS=https://a.example, https://b.example"}),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(cfg.Addr, cfg.Database.Host, cfg.Workers, cfg.Timeout, cfg.Origins)
	fmt.Printf("%+v\n", cfg.APIKey)
	fmt.Println(cfg.APIKey.Reveal())
	// Output:
	// 127.0.0.1:8080 db.internal 8 5s [https://a.example https://b.example]
	// [redacted]
	// k-123
}

func ExampleLoad_errors() {
	_, err := settings.Load[Config](
		settings.WithPrefix("APP_"),
		settings.WithEnviron([]string{"APP_WORKERS=100", "APP_TIMEOUT=soon", "APP_MODEL=production"}),
	)
	var e *settings.Error
	fmt.Println(errors.As(err, &e), len(e.Problems))
	fmt.Println(err)
	// Output:
	// true 4
	// settings: 4 problems:
	//   APP_MODEL (environment): is not a known variable (did you mean APP_MODE?)
	//   APP_TIMEOUT (environment): must be a duration such as 1m30s, got "soon"
	//   APP_WORKERS (environment): must be less than or equal to 64, got "100"
	//   DATABASE_URL: is required (set DATABASE_URL or -db)
}

func ExampleWriteTable() {
	vars, _ := settings.Describe[Config](settings.WithPrefix("APP_"))
	_ = settings.WriteTable(os.Stdout, vars)
	// Output:
	// VARIABLE      FLAG      TYPE            DEFAULT         DESCRIPTION
	// APP_ADDR      -addr     string          127.0.0.1:8080  listen address
	// DATABASE_URL  -db       URL             (required)      database URL
	// APP_WORKERS   -workers  integer         4               background workers (1 to 64)
	// APP_TIMEOUT   -timeout  duration        5s              request timeout
	// APP_ORIGINS   -origins  list of string                  CORS origins, comma-separated
	// APP_API_KEY   -api-key  secret                          payment API key [secret]
	// APP_MODE      -mode     string          development     (one of: development, production)
}
