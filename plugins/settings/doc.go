// Package settings loads an application's configuration into a typed
// struct, as pydantic-settings does for FastAPI: from command-line flags,
// the environment, .env files and a secrets directory, parsed and validated
// with the tags of Covet's typed handlers (required, minimum, maximum,
// enum, format, pattern, default, doc, ...).
//
//	type Config struct {
//		Addr     string          `default:"127.0.0.1:8080" doc:"listen address"`
//		Database *url.URL        `required:"true" doc:"database URL"`
//		Workers  int             `minimum:"1" maximum:"64" default:"4"`
//		Timeout  time.Duration   `default:"5s"`
//		Origins  []string        `doc:"CORS origins, comma-separated"`
//		APIKey   settings.Secret `doc:"key of the payment API"`
//	}
//	cfg, err := settings.Load[Config](settings.WithPrefix("APP_"),
//		settings.WithEnvFiles(".env"), settings.WithSecretsDir("/run/secrets"),
//		settings.WithArgs(os.Args[1:]))
//
// Names: a field reads the variable prefix + its name in UPPER_SNAKE_CASE
// (Workers → APP_WORKERS, DatabaseURL → APP_DATABASE_URL), or exactly the
// name of its env tag (env:"DATABASE_URL", no prefix); env:"-" reads no
// variable. Its flag is the same name in lower-kebab-case (-database-url),
// or its flag tag; flag:"-" has none. Fields of nested structs read
// PREFIX_PARENT_FIELD and -parent-field.
//
// Precedence, highest first: flags, environment, .env files (the later
// file first), secrets files, default tags. Lists are comma-separated (a
// repeated flag appends). An empty value of a number, bool or duration
// counts as unset.
//
// Every problem is reported at once in an *Error: values that do not parse
// or break a rule (with their source), missing required variables, and
// variables that start with the prefix but name no field (typos).
//
// Secrets: fields of type Secret never print (fmt, slog, JSON), nor appear
// in errors or tables; Reveal returns the value.
//
// Describe lists the variables (name, flag, type, default, doc), and
// WriteTable / WriteMarkdown print them, for a settings command and the
// README.
package settings
