package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authredis"
	"github.com/covetgo/covet/plugins/cors"
	"github.com/covetgo/covet/plugins/openapi"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/mysql"
	"github.com/covetgo/covet/plugins/orm/pgsql"
	"github.com/covetgo/covet/plugins/orm/sqlite"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/covetgo/covet/plugins/ratelimit/redisstore"
	"github.com/redis/go-redis/v9"
)

// Version is the taskboard's API version.
const Version = "1.0.0"

// Config is what the taskboard needs to run.
type Config struct {
	// DatabaseURL selects the database: sqlite://file.db (the default),
	// postgres://... or mysql://...
	DatabaseURL string
	// Development turns on the development error page and debug logs.
	Development bool
	// Logger receives the app's logs (nil: the default for the mode).
	Logger *slog.Logger
	// FrontendOrigins may call the API from a browser (CORS), e.g.
	// https://board.example.com.
	FrontendOrigins []string
	// RedisURL, when set, keeps rate limits, token revocations, refresh
	// tokens and sessions in Redis and carries live updates between
	// instances, so several instances act as one; otherwise all of it is
	// in memory (one instance).
	RedisURL string
	// RedisPrefix starts the taskboard's Redis keys and its live-update
	// channel (default "taskboard:"), so two boards can share one Redis.
	RedisPrefix string
	// RedisTimeout bounds each Redis call of the auth stores and the rate
	// limiter (default 500 ms: a stalled Redis fails the request within it
	// instead of holding it; a dead one is refused at once by the stores'
	// circuit breakers). Tests on a loaded machine give seconds.
	RedisTimeout time.Duration
	// DBMaxConns bounds the database pool's connections (default: the orm
	// plugin's, 20).
	DBMaxConns int
	// WriteLimit bounds writes (POST, PUT, PATCH, DELETE) per client IP.
	WriteLimit ratelimit.Limit
	// WebhookURL, when set, receives a POST for every task created.
	WebhookURL string
	// WebhookSecret signs webhook bodies (HMAC-SHA256, X-Taskboard-Signature).
	WebhookSecret string
	// WebhookClient sends webhooks (nil: a client with a 5 s timeout).
	WebhookClient *http.Client
	// AllowedHosts are the host names the app answers to (the Host header;
	// middleware.AllowedHosts patterns such as "board.example.com" or
	// "*.example.com"). Other hosts get a 400, so a page on another site
	// cannot drive the API through a DNS-rebinding name. Empty: the
	// localhost names (LocalHosts).
	AllowedHosts []string
	// NoResponseCache turns off the response cache of the task list and
	// detail (cache.go).
	NoResponseCache bool
	// CacheMaxStale bounds how long after a write on one instance another
	// may serve the response it invalidated from memory (with Redis): 0
	// checks every hit against Redis (cache.WithL1Check(0)), > 0 at most
	// that often per entry, < 0 not at all (pub/sub only).
	CacheMaxStale time.Duration

	// Secret (at least 32 bytes) derives the keys of access tokens,
	// sessions, CSRF tokens, login cookies and flash messages. Empty: a
	// random secret, so sign-ins (and flashes) do not survive a restart.
	Secret []byte
	// PublicURL is where users reach the app ("https://board.example.com"):
	// the base of login callbacks, and https makes the cookies Secure.
	PublicURL string
	// GitHub and Google sign-in, each on when its client ID is set.
	GitHubClientID, GitHubClientSecret string
	GoogleClientID, GoogleClientSecret string
	// Logins are more providers (any OpenID Connect issuer, auth.OIDC),
	// with LoginOptions added to theirs.
	Logins       []auth.Provider
	LoginOptions []auth.LoginOption
	// Options are given to covet.New after the taskboard's own (trusted
	// proxies, server timeouts).
	Options []covet.Option
}

// LocalHosts are the hosts a development taskboard answers to.
var LocalHosts = []string{"localhost", "127.0.0.1", "::1"}

// accessLogOptions are the access log's: no line for the health probes, and
// JSON lines straight to logs when the app's logs are buffered.
func accessLogOptions(logs *middleware.BufferedLogWriter) []middleware.AccessLogOption {
	opts := []middleware.AccessLogOption{middleware.WithAccessLogSkip(func(c *covet.Context) bool {
		return strings.HasSuffix(c.Request().URL.Path, "z") && (c.Request().URL.Path == "/healthz" || c.Request().URL.Path == "/readyz")
	})}
	if logs != nil {
		opts = append(opts, middleware.WithAccessLogWriter(logs))
	}
	return opts
}

// NewApp builds the taskboard: routes, middleware and plugins. It does not
// start it (Run or Start does).
func NewApp(cfg Config) (*covet.App, error) {
	opts := []covet.Option{covet.WithHealth(), covet.WithDevelopment(cfg.Development)}
	// In production the logs (the access log's line per request among them)
	// go to stderr in batches, every 100 ms or 32 KiB and at shutdown,
	// instead of one write(2) a line: a graceful stop loses none, a SIGKILL
	// at most the last 100 ms (core/middleware.BufferedLogWriter).
	var logs *middleware.BufferedLogWriter
	if cfg.Logger != nil {
		opts = append(opts, covet.WithLogger(cfg.Logger))
	} else if !cfg.Development {
		logs = middleware.NewBufferedLogWriter(os.Stderr)
		opts = append(opts, covet.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	}
	app := covet.New(append(opts, cfg.Options...)...)
	if logs != nil {
		// Installed first, so it stops last: the lines of every other
		// plugin's shutdown are written.
		if err := app.Install(logs); err != nil {
			return nil, err
		}
	}
	hosts := cfg.AllowedHosts
	if len(hosts) == 0 {
		hosts = LocalHosts
	}
	app.Pre(allowedHosts(hosts))
	app.Use(
		middleware.Recover(),
		middleware.RequestID(),
		middleware.AccessLog(accessLogOptions(logs)...),
		middleware.SecureHeaders(),
		middleware.Timing(),
	)

	if len(cfg.FrontendOrigins) > 0 {
		if err := app.Install(cors.New(
			cors.WithOrigins(cfg.FrontendOrigins...),
			cors.WithCredentials(true),
			cors.WithHeaders("Content-Type", "Authorization", "X-Request-ID"),
			cors.WithExposedHeaders("Location", "X-Request-ID", "RateLimit", "RateLimit-Policy", "Retry-After"),
			cors.WithMaxAge(10*time.Minute),
		)); err != nil {
			return nil, err
		}
	}
	// One Redis client (REDIS_URL) carries the live updates between
	// instances and holds the auth stores, the cache's invalidations and
	// the rate limits; the hub's broker owns it.
	var rdb *redis.Client
	if cfg.RedisURL != "" {
		var err error
		if rdb, err = authredis.NewClient(cfg.RedisURL); err != nil {
			return nil, err
		}
	}
	obs, err := newObservability(rdb) // metrics, and traces with OTEL_EXPORTER_OTLP_ENDPOINT (observe.go)
	if err != nil {
		return nil, err
	}
	prefix := cfg.RedisPrefix
	if prefix == "" {
		prefix = "taskboard:"
	}
	hub := newHub(rdb, prefix)
	if err := app.Install(hub); err != nil {
		return nil, err
	}
	app.Use(broadcastChanges(hub))
	cacheList, cacheDetail, err := installCache(app, cfg, rdb, prefix) // after broadcastChanges: it reads the changes
	if err != nil {
		return nil, err
	}

	limiterOpts := []ratelimit.Option{ratelimit.WithExemptPaths("/healthz", "/readyz")}
	if rdb != nil {
		// On the app's one Redis client (a second pool per instance would
		// only add connections), under the board's prefix, as every other
		// key: two boards on one Redis (or one user ID in two boards'
		// databases) never share a budget.
		backend := redisstore.New(rdb, redisstore.WithCheckTimeout(cfg.redisTimeout()),
			redisstore.WithKeyPrefix(prefix+"ratelimit:"))
		limiterOpts = append(limiterOpts, ratelimit.WithBackend(backend))
	}
	if err := app.Install(ratelimit.New(limiterOpts...)); err != nil {
		return nil, err
	}
	writeLimit := cfg.WriteLimit
	if writeLimit == (ratelimit.Limit{}) {
		writeLimit = ratelimit.PerSecond(10).Burst(20)
	}
	// Writes count per signed-in user, anonymous ones (sign-up, token
	// requests) per client IP. The limiter runs before the routes' guards,
	// so the key authenticates the request itself (a verified token is
	// cached by the plugin: the guard's check after it is a lookup).
	var authn *auth.Auth
	writes := writesPolicy(func() *auth.Auth { return authn }, writeLimit)

	if err := app.Install(openapi.New(
		openapi.WithInfo("Taskboard API", Version),
		openapi.WithDescription("A small team task board: users, tasks, comments and attachments. Built with Covet."),
		openapi.WithTag("tasks", "Cards on the board"),
		openapi.WithTag("users", "Members of the team"),
	)); err != nil {
		return nil, err
	}

	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	db := orm.New(append([]orm.Option{
		orm.WithDriver(drivers...),
		orm.WithDSN(cfg.DatabaseURL),
		orm.WithMigrations(ms),
		orm.WithMigrateOnStart(),
	}, append(poolOptions(cfg), obs.ormOptions()...)...)...)
	if err := app.Install(db); err != nil {
		return nil, err
	}
	if err := obs.install(app); err != nil {
		return nil, err
	}
	authn, err = newAuth(cfg, db.DB, rdb, prefix)
	if err != nil {
		return nil, err
	}
	if err := app.Install(authn); err != nil {
		return nil, err
	}
	app.SecurityScheme(schemePassword, covet.SecurityScheme{Type: "oauth2",
		Description: "Email and password for an access token (the token endpoint's password grant)",
		Flows: &covet.OAuthFlows{Password: &covet.OAuthFlow{TokenURL: tokenPath, RefreshURL: tokenPath,
			Scopes: map[string]string{scopeWrite: "create and change your tasks"}}}})
	// Browser sessions (the UI) or bearer tokens (the API); either one, and
	// Swagger UI's password flow, on every guarded route.
	signedIn := []covet.RouteOption{auth.Required(auth.SchemeBearer, auth.SchemeSession), covet.Secured(schemePassword, scopeWrite)}

	var providers []string
	if cfg.GitHubClientID != "" {
		providers = append(providers, "github")
	}
	if cfg.GoogleClientID != "" {
		providers = append(providers, "google")
	}
	for _, p := range cfg.Logins {
		providers = append(providers, p.Name)
	}
	if err := installUI(app, authn, providers, cfg.Secret); err != nil {
		return nil, err
	}
	if err := installAssignNotifications(app, cfg.DatabaseURL); err != nil { // PostgreSQL only
		return nil, err
	}

	app.GET("/", index).Summary("Service index").Tags("meta")

	api := app.Group("/api/v1")
	api.With(ratelimit.Apply(writes))

	api.POST("/auth/token", tokenEndpoint(authn)).Name("auth.token").Tags("auth").
		Summary("Get or refresh an access token").
		Description("OAuth 2.0 token endpoint (form): grant_type=password with username (the email) and password, "+
			"or grant_type=refresh_token with refresh_token. A refresh token is used once; presenting it again revokes its family.").
		Response(http.StatusBadRequest, "invalid_grant or unsupported_grant_type (RFC 6749 §5.2)", nil)

	api.POST("/auth/revoke", revokeEndpoint(authn)).Name("auth.revoke").Tags("auth").With(signedIn...).
		Summary("Revoke the access token (or every token of the user)").
		Description("Revokes the bearer token of the request on every instance at once (a Redis deny-list entry by the token's jti, " +
			"kept until the token would have expired). With ?all=true: every access token issued to the user until now, " +
			"every refresh token family and every browser session. Every instance asks Redis on every request: there is no " +
			"negative cache, so a revoked token is refused by the next request on any instance.").
		Status(http.StatusNoContent)

	users := api.Group("/users")
	users.With(covet.Tag("users"))
	covet.Post(users, "", createUser).Name("users.create").Status(http.StatusCreated).
		Summary("Create a user").Response(http.StatusConflict, "The email is taken", nil)
	covet.Get(users, "/me", me).Name("users.me").Summary("The signed-in user").With(signedIn...)
	covet.Get(users, "/{id:int}", getUser).Name("users.get").Summary("Get a user").With(signedIn...).
		Response(http.StatusNotFound, "No such user", nil)

	tasks := api.Group("/tasks")
	tasks.With(covet.Tag("tasks"))
	covet.Get(tasks, "", listTasks).Name("tasks.list").Summary("List tasks").
		Description("Filter by status, tags, assignee or title. Page with limit and offset (the default: total counts " +
			"the whole listing), or with cursor (keyset: start with cursor= and follow next_cursor or the Link rel=next " +
			"header; no count is taken, total is 0; each page costs the same at any depth).").With(cacheList...)
	covet.Post(tasks, "", createTask(newWebhook(cfg))).Name("tasks.create").Status(http.StatusCreated).
		Summary("Create a task").With(signedIn...).Response(http.StatusUnprocessableEntity, "Invalid task or unknown assignee", nil)
	covet.Get(tasks, "/{id:int}", getTask).Name("tasks.get").Summary("Get a task").With(cacheDetail...).
		Response(http.StatusNotFound, "No such task", nil)
	covet.Patch(tasks, "/{id:int}", updateTask, orm.Transactional()).Name("tasks.update").Summary("Change a task").
		Description("Only the task's owner may change it.").With(signedIn...).
		Response(http.StatusForbidden, "Not your task", nil).Response(http.StatusNotFound, "No such task", nil)
	covet.Delete(tasks, "/{id:int}", deleteTask).Name("tasks.delete").Summary("Delete a task").
		Description("Only the task's owner may delete it.").With(signedIn...).
		Response(http.StatusForbidden, "Not your task", nil).Response(http.StatusNotFound, "No such task", nil)
	installLive(tasks, hub, signedIn...)
	covet.Post(tasks, "/{id:int}/comments", createComment).Name("comments.create").Status(http.StatusCreated).
		Summary("Comment on a task").Tags("comments").With(signedIn...)
	covet.Get(tasks, "/{id:int}/comments", listComments).Name("comments.list").Summary("List a task's comments").Tags("comments")
	covet.Post(tasks, "/{id:int}/attachments", uploadAttachment).Name("attachments.create").Status(http.StatusCreated).
		Summary("Attach a file to a task").Tags("attachments").With(signedIn...).
		Response(http.StatusForbidden, "Not your task", nil).
		With(covet.UploadLimits(covet.MultipartLimits{MaxBodySize: maxAttachment + 64<<10, MaxFileSize: maxAttachment, MaxParts: 4})).
		Response(http.StatusRequestEntityTooLarge, "The file is larger than 10 MiB", nil)
	tasks.GET("/{id:int}/attachments/{aid:int}", downloadAttachment).Name("attachments.get").
		Summary("Download an attachment").Tags("attachments")
	return app, nil
}

// Index is the body of GET /.
type Index struct {
	Name  string            `json:"name"`
	Links map[string]string `json:"links"`
}

func index(c *covet.Context) error {
	if strings.Contains(c.Request().Header.Get("Accept"), "text/html") {
		return c.Redirect(http.StatusSeeOther, "/board") // a browser: the UI
	}
	return c.JSON(http.StatusOK, Index{Name: "taskboard", Links: map[string]string{
		"tasks": "/api/v1/tasks", "health": "/healthz", "ready": "/readyz",
	}})
}

// routeTable formats the route table for the start-up log.
func routeTable(app *covet.App) string {
	var b strings.Builder
	for _, r := range app.Routes() {
		fmt.Fprintf(&b, "\n  %-7s %-45s %s", r.Method, r.Pattern, r.Name)
	}
	return b.String()
}

// allowedHosts refuses requests for other hosts before routing (DNS
// rebinding, Host header attacks), except the health probes: Kubernetes and
// load balancers probe by IP address, and the probes reveal nothing.
func allowedHosts(hosts []string) covet.Middleware {
	guard := middleware.AllowedHosts(hosts...)
	return func(next covet.HandlerFunc) covet.HandlerFunc {
		guarded := guard(next)
		return func(c *covet.Context) error {
			if p := c.Request().URL.Path; p == "/healthz" || p == "/readyz" {
				return next(c)
			}
			return guarded(c)
		}
	}
}

// drivers are the database drivers the taskboard can use: its DSN chooses
// one. An app on a single database gives (and links) only that one, e.g.
// orm.WithDriver(sqlite.Driver()).
var drivers = []orm.Driver{sqlite.Driver(), pgsql.Driver(), mysql.Driver()}

// poolOptions sizes the database pool from cfg.DBMaxConns.
func poolOptions(cfg Config) []orm.Option {
	if cfg.DBMaxConns > 0 {
		return []orm.Option{orm.WithMaxOpenConns(cfg.DBMaxConns)}
	}
	return nil
}

// redisTimeout is RedisTimeout, 500 ms when unset: at load 30 on two
// cores a goroutine waited up to 190 ms for the CPU while Redis answered in
// under 10 ms (contrib/scaleout), so 100 ms failed requests Redis had served.
func (cfg Config) redisTimeout() time.Duration {
	if cfg.RedisTimeout > 0 {
		return cfg.RedisTimeout
	}
	return 500 * time.Millisecond
}
