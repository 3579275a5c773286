package settings

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchConfig has 20 fields: 8 from the environment, 5 from a .env file, 2
// from secrets files, 3 from flags and 2 left to their defaults.
type benchConfig struct {
	Addr        string        `default:"127.0.0.1:8080"`
	DatabaseURL *url.URL      `required:"true"`
	RedisURL    string        `format:"uri"`
	Workers     int           `minimum:"1" maximum:"64" default:"4"`
	Timeout     time.Duration `default:"5s"`
	Mode        string        `enum:"development,production" default:"development"`
	Origins     []string
	Debug       bool
	LogLevel    string   `enum:"debug,info,warn,error" default:"info"`
	MaxBody     int64    `minimum:"1024"`
	RatePerSec  float64  `minimum:"0"`
	Region      string   `minLength:"2"`
	Tags        []string `maxItems:"10"`
	CacheTTL    time.Duration
	QueueSize   int `maximum:"100000"`
	APIKey      Secret
	DBPassword  Secret `minLength:"8"`
	Port        int    `minimum:"1" maximum:"65535"`
	Verbose     bool
	Name        string `pattern:"^[a-z]+$"`
}

func benchSetup(b testing.TB) []Option {
	dir := b.TempDir()
	envFile := filepath.Join(dir, ".env")
	os.WriteFile(envFile, []byte("APP_MAX_BODY=1048576\nAPP_RATE_PER_SEC=2.5\nAPP_REGION=eu\nAPP_TAGS=a,b,c\nAPP_CACHE_TTL=1m\n"), 0o600)
	secrets := filepath.Join(dir, "secrets")
	os.Mkdir(secrets, 0o700)
	os.WriteFile(filepath.Join(secrets, "APP_API_KEY"), []byte("key-123\n"), 0o600)
	os.WriteFile(filepath.Join(secrets, "APP_DB_PASSWORD"), []byte("password123\n"), 0o600)
	env := []string{"APP_DATABASE_URL=postgres://u@h/db", "APP_REDIS_URL=redis://r:6379/0", "APP_WORKERS=8", "APP_TIMEOUT=10s",
		"APP_MODE=production", "APP_ORIGINS=https://a.example,https://b.example", "APP_DEBUG=false", "APP_LOG_LEVEL=warn",
		"PATH=/usr/bin", "HOME=/root"}
	return []Option{WithPrefix("APP_"), WithEnvFiles(envFile), WithSecretsDir(secrets), WithEnviron(env),
		WithArgs([]string{"-port", "9000", "-verbose", "-name", "board"})}
}

func TestBenchConfigLoads(t *testing.T) {
	opts := benchSetup(t)
	cfg, err := Load[benchConfig](opts...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 9000 || cfg.DBPassword.Reveal() != "password123" || cfg.CacheTTL != time.Minute || cfg.Workers != 8 || cfg.Addr != "127.0.0.1:8080" {
		t.Fatalf("%+v", cfg)
	}
}

// BenchmarkLoad20Fields: go test -run '^$' -bench Load20Fields -benchmem .
func BenchmarkLoad20Fields(b *testing.B) {
	opts := benchSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load[benchConfig](opts...); err != nil {
			b.Fatal(err)
		}
	}
}
