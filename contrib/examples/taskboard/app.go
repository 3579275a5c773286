package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
	"github.com/covetgo/covet/plugins/cors"
	"github.com/covetgo/covet/plugins/openapi"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/ratelimit"
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
	// RedisURL, when set, keeps rate limits in Redis so several instances
	// share them; otherwise they are kept in memory.
	RedisURL string
	// WriteLimit bounds writes (POST, PUT, PATCH, DELETE) per client IP.
	WriteLimit ratelimit.Limit
	// WebhookURL, when set, receives a POST for every task created.
	WebhookURL string
	// WebhookSecret signs webhook bodies (HMAC-SHA256, X-Taskboard-Signature).
	WebhookSecret string
	// WebhookClient sends webhooks (nil: a client with a 5 s timeout).
	WebhookClient *http.Client
}

// NewApp builds the taskboard: routes, middleware and plugins. It does not
// start it (Run or Start does).
func NewApp(cfg Config) (*covet.App, error) {
	opts := []covet.Option{covet.WithHealth(), covet.WithDevelopment(cfg.Development)}
	if cfg.Logger != nil {
		opts = append(opts, covet.WithLogger(cfg.Logger))
	}
	app := covet.New(opts...)
	app.Use(
		middleware.Recover(),
		middleware.RequestID(),
		middleware.AccessLog(middleware.WithAccessLogSkip(func(c *covet.Context) bool {
			return strings.HasSuffix(c.Request().URL.Path, "z") && (c.Request().URL.Path == "/healthz" || c.Request().URL.Path == "/readyz")
		})),
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
	limiterOpts := []ratelimit.Option{ratelimit.WithExemptPaths("/healthz", "/readyz")}
	if cfg.RedisURL != "" {
		backend, err := ratelimit.NewRedisURL(cfg.RedisURL)
		if err != nil {
			return nil, err
		}
		limiterOpts = append(limiterOpts, ratelimit.WithBackend(backend))
	}
	if err := app.Install(ratelimit.New(limiterOpts...)); err != nil {
		return nil, err
	}
	writeLimit := cfg.WriteLimit
	if writeLimit == (ratelimit.Limit{}) {
		writeLimit = ratelimit.PerSecond(10).Burst(20)
	}
	writes := ratelimit.NewPolicy("writes",
		ratelimit.WithLimits(writeLimit, ratelimit.PerDay(10000)),
		ratelimit.WithMethods(http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete))

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
	if err := app.Install(orm.New(
		orm.WithDSN(cfg.DatabaseURL),
		orm.WithMigrations(ms),
		orm.WithMigrateOnStart(),
	)); err != nil {
		return nil, err
	}
	if err := installAssignNotifications(app, cfg.DatabaseURL); err != nil { // PostgreSQL only
		return nil, err
	}

	app.GET("/", index).Summary("Service index").Tags("meta")

	api := app.Group("/api/v1")
	api.With(ratelimit.Apply(writes))

	users := api.Group("/users")
	users.With(covet.Tag("users"))
	covet.Post(users, "", createUser).Name("users.create").Status(http.StatusCreated).
		Summary("Create a user").Response(http.StatusConflict, "The email is taken", nil)
	covet.Get(users, "/{id:int}", getUser).Name("users.get").Summary("Get a user").
		Response(http.StatusNotFound, "No such user", nil)

	tasks := api.Group("/tasks")
	tasks.With(covet.Tag("tasks"))
	covet.Get(tasks, "", listTasks).Name("tasks.list").Summary("List tasks").
		Description("Filter by status, tags, assignee or title; page with limit and offset.")
	covet.Post(tasks, "", createTask(newWebhook(cfg)), orm.Transactional()).Name("tasks.create").Status(http.StatusCreated).
		Summary("Create a task").Response(http.StatusUnprocessableEntity, "Invalid task or unknown assignee", nil)
	covet.Get(tasks, "/{id:int}", getTask).Name("tasks.get").Summary("Get a task").
		Response(http.StatusNotFound, "No such task", nil)
	covet.Patch(tasks, "/{id:int}", updateTask, orm.Transactional()).Name("tasks.update").Summary("Change a task").
		Response(http.StatusNotFound, "No such task", nil)
	covet.Delete(tasks, "/{id:int}", deleteTask).Name("tasks.delete").Summary("Delete a task").
		Response(http.StatusNotFound, "No such task", nil)
	covet.Post(tasks, "/{id:int}/comments", createComment).Name("comments.create").Status(http.StatusCreated).
		Summary("Comment on a task").Tags("comments")
	covet.Get(tasks, "/{id:int}/comments", listComments).Name("comments.list").Summary("List a task's comments").Tags("comments")
	covet.Post(tasks, "/{id:int}/attachments", uploadAttachment).Name("attachments.create").Status(http.StatusCreated).
		Summary("Attach a file to a task").Tags("attachments").
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
