package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type dbConfig struct {
	Host string `default:"localhost"`
	Port int    `default:"5432" minimum:"1" maximum:"65535"`
}

type appConfig struct {
	Addr        string        `default:"127.0.0.1:8080" doc:"listen address"`
	DatabaseURL *url.URL      `env:"DATABASE_URL" flag:"db" required:"true" doc:"database URL"`
	Workers     int           `minimum:"1" maximum:"64" default:"4"`
	Timeout     time.Duration `default:"5s"`
	Mode        string        `enum:"development,production" default:"development"`
	Origins     []string      `doc:"CORS origins"`
	Debug       bool
	APIKey      Secret `doc:"payment API key"`
	Verbose     *bool  `env:"-"`
	DB          dbConfig
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNames(t *testing.T) {
	vars, err := Describe[appConfig](WithPrefix("APP_"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vars {
		got[v.Field] = v.Env + " " + v.Flag
	}
	want := map[string]string{
		"Addr": "APP_ADDR addr", "DatabaseURL": "DATABASE_URL db", "Workers": "APP_WORKERS workers",
		"Timeout": "APP_TIMEOUT timeout", "Origins": "APP_ORIGINS origins", "APIKey": "APP_API_KEY api-key",
		"Verbose": " verbose", "DB.Host": "APP_DB_HOST db-host", "DB.Port": "APP_DB_PORT db-port",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	for in, out := range map[string]string{"DatabaseURL": "DATABASE_URL", "HTTPPort": "HTTP_PORT", "APIKey": "API_KEY", "Port2": "PORT2", "X": "X"} {
		if s := snake(in); s != out {
			t.Errorf("snake(%s) = %s, want %s", in, s, out)
		}
	}
}

func TestSourcesAndPrecedence(t *testing.T) {
	dir := t.TempDir()
	env1 := write(t, dir, ".env", "APP_WORKERS=2\nAPP_MODE=production\nAPP_DB_HOST=from-dotenv\n# comment\nexport APP_TIMEOUT=1m\n")
	env2 := write(t, dir, ".env.local", "APP_WORKERS=3\n")
	secrets := filepath.Join(dir, "secrets")
	os.Mkdir(secrets, 0o700)
	write(t, secrets, "APP_API_KEY", "s3cret\n")
	write(t, secrets, "app_workers", "9\n") // lower-case name; ranks below .env
	var rest []string
	cfg, err := Load[appConfig](WithPrefix("APP_"), WithEnvFiles(env1, env2, filepath.Join(dir, "missing.env")), WithSecretsDir(secrets),
		WithEnviron([]string{"DATABASE_URL=postgres://u@h/db", "APP_DB_HOST=from-env", "APP_ORIGINS=https://a.example, https://b.example", "OTHER=1"}),
		WithArgs([]string{"-db-port", "6000", "-debug", "-verbose", "-origins", "https://c.example", "migrate", "up"}), WithRemainingArgs(&rest))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Workers != 3 || cfg.Mode != "production" || cfg.Timeout != time.Minute || cfg.Addr != "127.0.0.1:8080" {
		t.Errorf("dotenv/defaults: %+v", cfg)
	}
	if cfg.DatabaseURL == nil || cfg.DatabaseURL.Host != "h" || cfg.DatabaseURL.Scheme != "postgres" {
		t.Errorf("url: %v", cfg.DatabaseURL)
	}
	if cfg.DB.Host != "from-env" || cfg.DB.Port != 6000 || !cfg.Debug || cfg.Verbose == nil || !*cfg.Verbose {
		t.Errorf("env/flags: %+v", cfg)
	}
	if !reflect.DeepEqual(cfg.Origins, []string{"https://c.example"}) {
		t.Errorf("flag should override env list: %v", cfg.Origins)
	}
	if cfg.APIKey.Reveal() != "s3cret" {
		t.Errorf("secret = %q", cfg.APIKey.Reveal())
	}
	if !reflect.DeepEqual(rest, []string{"migrate", "up"}) {
		t.Errorf("rest = %v", rest)
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	dir := t.TempDir()
	envFile := write(t, dir, ".env", "APP_WORKER=2\n")
	_, err := Load[appConfig](WithPrefix("APP_"), WithEnvFiles(envFile),
		WithEnviron([]string{"APP_WORKERS=100", "APP_TIMEOUT=soon", "APP_MODE=staging", "APP_DB_PORT=x", "APP_ADRR=:80", "APP_API_KEY=hunter2"}),
		WithArgs([]string{"-debug=maybe"}))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	t.Log(msg)
	for _, want := range []string{
		`APP_WORKERS (environment): must be less than or equal to 64, got "100"`,
		`APP_TIMEOUT (environment): must be a duration such as 1m30s, got "soon"`,
		`APP_MODE (environment): must be one of: development, production, got "staging"`,
		`APP_DB_PORT (environment): must be an integer, got "x"`,
		`APP_ADRR (environment): is not a known variable (did you mean APP_ADDR?)`,
		`APP_WORKER (file ` + envFile + `): is not a known variable (did you mean APP_WORKERS?)`,
		`DATABASE_URL: is required (set DATABASE_URL or -db)`,
		`APP_DEBUG (flag -debug): must be a boolean (true or false), got "maybe"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Error("secret in error")
	}
}

func TestBadValuesOfSecretsAreNotEchoed(t *testing.T) {
	type c struct {
		Token Secret `minLength:"10"`
	}
	_, err := Load[c](WithEnviron([]string{"TOKEN=short"}))
	if err == nil || strings.Contains(err.Error(), "short") || !strings.Contains(err.Error(), "TOKEN (environment): must be at least 10 characters long") {
		t.Fatalf("err = %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	cfg, err := Load[appConfig](WithEnviron([]string{"DATABASE_URL=postgres://h/db", "API_KEY=hunter2"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIKey.Reveal() != "hunter2" {
		t.Fatal("not loaded")
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10.3s", "%T %v"} {
		outs = append(outs, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, *cfg))
		if verb != "%T %v" {
			outs = append(outs, fmt.Sprintf(verb, cfg.APIKey))
		}
	}
	outs = append(outs, fmt.Sprint(cfg.APIKey), fmt.Sprintln(*cfg), cfg.APIKey.String())
	js, _ := json.Marshal(cfg)
	outs = append(outs, string(js))
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "cfg", cfg, "key", cfg.APIKey, "value", *cfg)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "cfg", cfg, "key", cfg.APIKey, "value", *cfg)
	outs = append(outs, buf.String())
	var tbl bytes.Buffer
	vars, _ := Describe[appConfig]()
	WriteTable(&tbl, vars)
	outs = append(outs, tbl.String())
	for _, o := range outs {
		if strings.Contains(o, "hunter2") || strings.Contains(o, fmt.Sprintf("%x", "hunter2")) || strings.Contains(strings.ToLower(o), fmt.Sprintf("%x", "hunter2")) {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if !strings.Contains(string(js), `"APIKey":"[redacted]"`) {
		t.Errorf("json = %s", js)
	}
}

func TestSecretTagNeedsSecretType(t *testing.T) {
	type c struct {
		Password string `secret:"true"`
	}
	if _, err := Load[c](WithEnviron(nil)); err == nil || !strings.Contains(err.Error(), "needs type settings.Secret") {
		t.Fatalf("err = %v", err)
	}
	type ok struct {
		Password Secret `secret:"true"`
	}
	if _, err := Load[ok](WithEnviron(nil)); err != nil {
		t.Fatal(err)
	}
}

func TestTagMistakesFailAtLoad(t *testing.T) {
	type typo struct {
		Port int `minimun:"1"`
	}
	_, err := Load[typo](WithEnviron(nil))
	if err == nil || !strings.Contains(err.Error(), "field Port") || !strings.Contains(err.Error(), "minimum") {
		t.Fatalf("err = %v", err)
	}
	type badDefault struct {
		Port int `default:"0" minimum:"1"`
	}
	if _, err := Load[badDefault](WithEnviron(nil)); err == nil || !strings.Contains(err.Error(), "field Port: default") {
		t.Fatalf("err = %v", err)
	}
	type dup struct {
		A string `env:"X"`
		B string `env:"X"`
	}
	if _, err := Load[dup](WithEnviron(nil)); err == nil || !strings.Contains(err.Error(), "both read variable X") {
		t.Fatalf("err = %v", err)
	}
}

func TestEmptyValues(t *testing.T) {
	type c struct {
		Port    int      `default:"80"`
		Name    string   `default:"x"`
		Origins []string `default:"a"`
	}
	cfg, err := Load[c](WithEnviron([]string{"PORT=", "NAME=", "ORIGINS="}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 80 || cfg.Name != "" || cfg.Origins == nil || len(cfg.Origins) != 0 {
		t.Fatalf("%+v", cfg)
	}
}

func TestHelp(t *testing.T) {
	_, err := Load[appConfig](WithArgs([]string{"-h"}), WithName("app"), WithEnviron(nil))
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(err.Error(), "DATABASE_URL  -db") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownAllowed(t *testing.T) {
	_, err := Load[appConfig](WithPrefix("APP_"), WithUnknownAllowed(), WithEnviron([]string{"APP_NOPE=1", "DATABASE_URL=postgres://h/d"}))
	if err != nil {
		t.Fatal(err)
	}
}

func TestTable(t *testing.T) {
	vars, err := Describe[appConfig](WithPrefix("APP_"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, vars); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| `APP_WORKERS` | `-workers` | integer | `4` | (1 to 64) |",
		"| `DATABASE_URL` | `-db` | URL | `(required)` | database URL |",
		"| `APP_API_KEY` | `-api-key` | secret | – | payment API key [secret] |",
		"| `APP_ORIGINS` | `-origins` | list of string | – | CORS origins |",
		"| – | `-verbose` | bool | – |  |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}

type validated struct {
	Min int `default:"5"`
	Max int `default:"1"`
}

func (v *validated) Validate() error {
	if v.Min > v.Max {
		return errors.New("MIN must not exceed MAX")
	}
	return nil
}

func TestValidateMethod(t *testing.T) {
	_, err := Load[validated](WithEnviron(nil))
	if err == nil || !strings.Contains(err.Error(), "MIN must not exceed MAX") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadEnvFileIsOneOfTheProblems(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, ".env", "APP_WORKERS='unterminated\n")
	_, err := Load[appConfig](WithPrefix("APP_"), WithEnvFiles(bad), WithEnviron([]string{"APP_TIMEOUT=x"}))
	if err == nil || !strings.Contains(err.Error(), "(file "+bad+"): cannot be parsed") || !strings.Contains(err.Error(), "APP_TIMEOUT") {
		t.Fatalf("err = %v", err)
	}
}

func TestCommand(t *testing.T) {
	var b bytes.Buffer
	if ran, err := Command[appConfig]([]string{"serve"}, &b); ran || err != nil || b.Len() > 0 {
		t.Fatal("ran for another command")
	}
	if ran, err := Command[appConfig]([]string{"settings"}, &b, WithPrefix("APP_")); !ran || err != nil || !strings.Contains(b.String(), "APP_WORKERS") {
		t.Fatalf("%v %v %s", ran, err, b.String())
	}
	b.Reset()
	if ran, err := Command[appConfig]([]string{"settings", "-markdown"}, &b); !ran || err != nil || !strings.HasPrefix(b.String(), "| variable |") {
		t.Fatalf("%v %v %s", ran, err, b.String())
	}
	if _, err := Command[appConfig]([]string{"settings", "-x"}, &b); err == nil {
		t.Fatal("no error")
	}
}

// A rejected URL or DSN is echoed with its password hidden: DATABASE_URL is
// the usual home of a database password, and Load's error goes to the log.
func TestRejectedValuesHideCredentials(t *testing.T) {
	type c struct {
		Database *url.URL `env:"DATABASE_URL"`
		Replica  url.URL  `env:"REPLICA_URL"`
		MySQL    string   `env:"MYSQL_DSN" pattern:"^[a-z]+:"`
		Port     int      `env:"PORT"`
	}
	_, err := Load[c](WithEnviron([]string{
		"DATABASE_URL=postgres://app:s3cret@db:54x/app",
		"REPLICA_URL=//app:s3cret@%zz/",
		"MYSQL_DSN=(app:s3cret@tcp(db)/app",
		"PORT=80a",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.Contains(msg, "s3cret") {
		t.Errorf("the error shows a password:\n%s", msg)
	}
	for _, want := range []string{
		`DATABASE_URL (environment): must be an absolute URI, got "postgres://app:xxxxx@db:54x/app"`,
		`REPLICA_URL (environment): must be an absolute URI, got "//app:xxxxx@%zz/"`,
		`MYSQL_DSN (environment): must match the pattern ^[a-z]+:, got "(app:xxxxx@tcp(db)/app"`,
		`PORT (environment): must be an integer, got "80a"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	for in, want := range map[string]string{
		"bob@example.com":       "bob@example.com",
		"db.internal:5432":      "db.internal:5432",
		"redis://:pw@h:6379/0":  "redis://:xxxxx@h:6379/0",
		"amqp://u:p@ss:w@h/":    "amqp://u:xxxxx@h/",
		"root:pw@tcp(h:3306)/d": "root:xxxxx@tcp(h:3306)/d",
	} {
		if got := redactCredentials(in); got != want {
			t.Errorf("redactCredentials(%q) = %q, want %q", in, got, want)
		}
	}
}

// godotenv's parse errors quote the rest of the file or of the line, values
// and secrets included; the problem names the line instead.
func TestBadEnvFileDoesNotEchoItsContent(t *testing.T) {
	type c struct {
		APIKey Secret
		Name   string
	}
	for _, tt := range []struct{ name, body, want string }{
		{"bad name", "NAME=x\r\nBAD LINE\nAPI_KEY=hunter2\n", "line 2: a variable name holds"},
		{"unterminated single", "NAME=x\n\nAPI_KEY='hunter2\n", "line 3: a quoted value is not closed"},
		{"unterminated double", "API_KEY=\"hunter2", "line 1: a quoted value is not closed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, t.TempDir(), ".env", tt.body)
			_, err := Load[c](WithEnvFiles(p), WithEnviron(nil))
			if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "(file "+p+"): cannot be parsed: "+tt.want) {
				t.Fatalf("err = %v, want %q and no secret", err, tt.want)
			}
		})
	}
}
