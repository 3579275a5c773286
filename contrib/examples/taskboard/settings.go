package main

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/proxy"

	"github.com/covetgo/covet/plugins/settings"
)

// Settings is the taskboard's configuration, read by plugins/settings from
// flags, the environment and an optional .env file; `taskboard settings`
// prints the table (the README's copy is generated from it).
type Settings struct {
	Addr            string        `env:"TASKBOARD_ADDR" flag:"addr" default:"127.0.0.1:8080" doc:"listen address"`
	DatabaseURL     string        `env:"DATABASE_URL" flag:"db" default:"sqlite://taskboard.db" minLength:"1" doc:"database: sqlite://file.db, postgres://… or mysql://…"`
	Env             string        `env:"COVET_ENV" flag:"-" enum:"development,dev,production" default:"development" doc:"development: route table logged, error pages with stacks; production: JSON logs"`
	Dev             *bool         `env:"-" flag:"dev" doc:"development mode (overrides COVET_ENV)"`
	FrontendOrigins []string      `env:"TASKBOARD_FRONTEND_ORIGIN" flag:"frontend" default:"http://localhost:5173" doc:"browser origins allowed to call the API (CORS), comma-separated; empty for none"`
	DBMaxConns      int           `env:"TASKBOARD_DB_MAX_CONNS" flag:"db-max-conns" default:"20" minimum:"1" doc:"the database pool's connections per instance (instances × this must stay under the server's max_connections)"`
	RedisURL        *url.URL      `env:"REDIS_URL" flag:"redis" doc:"Redis shared by instances: rate limits, sessions, refresh tokens, revocations and live updates (default: in memory, one instance)"`
	RedisTimeout    time.Duration `env:"TASKBOARD_REDIS_TIMEOUT" flag:"redis-timeout" default:"500ms" doc:"bounds each Redis call of the auth stores and rate limits (a stalled Redis fails the request within it)"`
	WebhookURL      *url.URL      `env:"TASKBOARD_WEBHOOK_URL" flag:"webhook" doc:"receives a POST for every task created (default: none)"`
	AllowedHosts    []string      `env:"TASKBOARD_ALLOWED_HOSTS" flag:"allowed-hosts" doc:"host names the app answers to (Host header, against DNS rebinding), comma-separated; development default: localhost, 127.0.0.1, ::1; required in production"`
	ResponseCache   bool          `env:"TASKBOARD_RESPONSE_CACHE" flag:"response-cache" default:"true" doc:"cache the anonymous task list and detail responses (in memory, and in Redis with REDIS_URL); every write invalidates them on all instances"`
	CacheMaxStale   time.Duration `env:"TASKBOARD_CACHE_MAX_STALE" flag:"cache-max-stale" default:"0s" doc:"with REDIS_URL, how long after a write another instance may still serve the response it invalidated: 0 checks Redis's invalidation epoch on every in-memory hit (one round trip; no stale read after the write's answer), a positive duration checks at most that often per entry, negative relies on pub/sub alone (usually milliseconds, unbounded under load)"`
	// WebhookSecret is read from the environment, .env or a secrets file,
	// never from a flag (flags show in ps).
	WebhookSecret settings.Secret `env:"TASKBOARD_WEBHOOK_SECRET" flag:"-" doc:"signs webhook bodies: X-Taskboard-Signature: sha256=HMAC"`
	// Secret derives the keys of tokens, sessions, CSRF tokens and flashes.
	Secret    settings.Secret `env:"TASKBOARD_SECRET" flag:"-" doc:"at least 32 bytes; derives the keys of access tokens, sessions, CSRF tokens and flash messages (default: random, sign-ins end at restart)"`
	PublicURL *url.URL        `env:"TASKBOARD_PUBLIC_URL" flag:"public-url" doc:"where users reach the app: base of login callbacks; https makes cookies Secure (default: from the request, cookies not Secure)"`
	// GitHub and Google sign-in are on when their client IDs are set.
	GitHubClientID     string          `env:"TASKBOARD_GITHUB_CLIENT_ID" flag:"-" doc:"GitHub OAuth app client ID: turns on Sign in with GitHub"`
	GitHubClientSecret settings.Secret `env:"TASKBOARD_GITHUB_CLIENT_SECRET" flag:"-" doc:"GitHub OAuth app client secret"`
	GoogleClientID     string          `env:"TASKBOARD_GOOGLE_CLIENT_ID" flag:"-" doc:"Google OAuth client ID: turns on Sign in with Google"`
	GoogleClientSecret settings.Secret `env:"TASKBOARD_GOOGLE_CLIENT_SECRET" flag:"-" doc:"Google OAuth client secret"`
	// Behind a load balancer (contrib/scaleout): whose X-Forwarded-For to
	// believe, and how long to serve on with readiness down at shutdown.
	TrustedProxies  []string      `env:"TASKBOARD_TRUSTED_PROXIES" flag:"trusted-proxies" doc:"proxies (IPs or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed, comma-separated (default: none)"`
	DrainDelay      time.Duration `env:"TASKBOARD_DRAIN_DELAY" flag:"drain-delay" doc:"at SIGTERM, serve on this long with /readyz failing before closing the listener, so a load balancer stops sending (default: 0)"`
	ShutdownTimeout time.Duration `env:"TASKBOARD_SHUTDOWN_TIMEOUT" flag:"shutdown-timeout" default:"30s" doc:"at SIGTERM, after the drain delay, in-flight requests get this long to finish"`
	// PprofAddr serves net/http/pprof on its own listener, for profiling an
	// instance under load (contrib/scaleout/docs/scaling.md); never the app's.
	PprofAddr string `env:"TASKBOARD_PPROF_ADDR" flag:"pprof-addr" doc:"serve net/http/pprof (/debug/pprof/) on this separate address, e.g. 127.0.0.1:6060; keep it private (default: off)"`
}

// settingsOptions are the sources of the taskboard's settings: TASKBOARD_*
// variables it does not know are reported as typos.
func settingsOptions(args []string, rest *[]string, extra ...settings.Option) []settings.Option {
	return append([]settings.Option{
		settings.WithName("taskboard"),
		settings.WithPrefix("TASKBOARD_"),
		settings.WithEnvFiles(".env"),
		settings.WithSecretsDir("/run/secrets"),
		settings.WithArgs(args),
		settings.WithRemainingArgs(rest),
	}, extra...)
}

// development reports the mode: -dev when given, else COVET_ENV.
func (s *Settings) development() bool {
	if s.Dev != nil {
		return *s.Dev
	}
	return s.Env != "production"
}

// config turns the settings into the app's Config.
func (s *Settings) config() Config {
	cfg := Config{DatabaseURL: s.DatabaseURL, Development: s.development(), FrontendOrigins: s.FrontendOrigins,
		AllowedHosts: s.AllowedHosts, NoResponseCache: !s.ResponseCache, CacheMaxStale: s.CacheMaxStale}
	if s.RedisURL != nil {
		cfg.RedisURL = s.RedisURL.String()
	}
	cfg.RedisTimeout = s.RedisTimeout
	cfg.DBMaxConns = s.DBMaxConns
	if s.WebhookURL != nil {
		cfg.WebhookURL = s.WebhookURL.String()
	}
	cfg.WebhookSecret = s.WebhookSecret.Reveal()
	cfg.Secret = []byte(s.Secret.Reveal())
	if s.PublicURL != nil {
		cfg.PublicURL = s.PublicURL.String()
	}
	cfg.GitHubClientID, cfg.GitHubClientSecret = s.GitHubClientID, s.GitHubClientSecret.Reveal()
	cfg.GoogleClientID, cfg.GoogleClientSecret = s.GoogleClientID, s.GoogleClientSecret.Reveal()
	if len(s.TrustedProxies) > 0 {
		cfg.Options = append(cfg.Options, covet.WithTrustedProxies(s.TrustedProxies...))
	}
	cfg.Options = append(cfg.Options, covet.WithServer(covet.ServerConfig{DrainDelay: s.DrainDelay, ShutdownTimeout: s.ShutdownTimeout}))
	return cfg
}

// checkHosts refuses to start in production without allowed hosts: the
// localhost names would refuse every real request, and no check at all
// would leave the API open to DNS rebinding. It also refuses a trusted
// proxy that is not an IP address or CIDR prefix.
func (s *Settings) checkHosts() error {
	if _, err := proxy.New("", s.TrustedProxies...); err != nil {
		return fmt.Errorf("taskboard: TASKBOARD_TRUSTED_PROXIES: %w", err)
	}
	if !s.development() && len(s.AllowedHosts) == 0 {
		return errors.New("taskboard: production needs TASKBOARD_ALLOWED_HOSTS (or -allowed-hosts): the host names the app is served under")
	}
	return nil
}
