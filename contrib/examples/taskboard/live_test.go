package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
	"github.com/redis/go-redis/v9"
)

// redisURL is the shared test Redis (REDIS_URL, else localhost); the test
// skips without it, or fails under COVET_REQUIRE_SERVICES=1.
func redisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	covettest.NeedService(t, "Redis", c.Ping(ctx).Err())
	return u
}

// instance is one taskboard process of a cluster.
type instance struct {
	app *covet.App
	srv *wstest.Server
	cl  *covettest.Client
}

// testRedisTimeout bounds the Redis calls of the test instances: the
// production 100 ms fails requests spuriously on a loaded CI machine.
const testRedisTimeout = 5 * time.Second

// clusterConfig is the Config of the instances of one cluster: one
// PostgreSQL database (instances of a real deployment share a database
// server, and two processes writing one SQLite file get SQLITE_BUSY under
// load), one Redis with a key prefix of their own, one secret.
func clusterConfig(t *testing.T) Config {
	t.Helper()
	rurl := redisURL(t)
	dsn := ormtest.Postgres(t).DSN
	rnd := make([]byte, 8)
	rand.Read(rnd)
	prefix := "taskboard-test-" + hex.EncodeToString(rnd) + ":"
	secret := make([]byte, 32)
	rand.Read(secret)
	return Config{DatabaseURL: dsn, RedisURL: rurl, RedisPrefix: prefix, Secret: secret, RedisTimeout: testRedisTimeout,
		Logger: slog.New(slog.DiscardHandler), WriteLimit: ratelimit.PerSecond(100000),
		AllowedHosts: []string{"example.com", "127.0.0.1", "localhost"}}
}

// waitBroker waits until app's hub is subscribed to Redis.
func waitBroker(t *testing.T, app *covet.App) {
	t.Helper()
	hub, _ := app.Plugin("ws").(*ws.Hub)
	select {
	case <-hub.BrokerReady():
	case <-time.After(60 * time.Second):
		t.Fatal("the hub did not subscribe to Redis")
	}
}

// cluster starts n taskboards of one clusterConfig, each on a real
// listener; it returns once every hub's Redis subscription is in place.
func cluster(t *testing.T, n int) []instance {
	t.Helper()
	cfg := clusterConfig(t)
	var out []instance
	for range n {
		app, err := NewApp(cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv := wstest.NewServer(t, app) // starts the app (migrations run on the first)
		waitBroker(t, app)
		out = append(out, instance{app: app, srv: srv, cl: covettest.New(t, app)})
	}
	return out
}

// TestLiveUpdatesAcrossInstances: a task created, changed and deleted
// through instance A reaches an SSE client connected to instance B (and the
// creation a WebSocket client on B), through the ws hub's Redis broker.
func TestLiveUpdatesAcrossInstances(t *testing.T) {
	cl := cluster(t, 2)
	a, b := cl[0], cl[1]
	_, bearer := signUp(t, a.cl, "Ada", "ada@example.com")

	a.cl.Get("/api/v1/tasks/events").Do().ExpectStatus(http.StatusUnauthorized) // signed-in users only
	events := b.srv.SSE(t, "/api/v1/tasks/events", "Authorization", bearer)
	if _, res, err := b.srv.TryDial("/api/v1/tasks/live"); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("WebSocket without credentials: %v %v, want 401", res, err)
	}
	sock := b.srv.Dial(t, "/api/v1/tasks/live", wstest.WithHeader("Authorization", bearer))
	next := func() TaskEvent {
		t.Helper()
		ev := events.NextData()
		if ev.Event != "task" || ev.ID == "" {
			t.Fatalf("event %+v: want a task event with an id", ev)
		}
		var te TaskEvent
		if err := json.Unmarshal([]byte(ev.Data), &te); err != nil {
			t.Fatal(err)
		}
		return te
	}

	var created Task
	a.cl.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": "Live from A"}).Do().
		ExpectStatus(http.StatusCreated).Decode(&created)
	if got := next(); got != (TaskEvent{Op: "created", ID: created.ID, Title: "Live from A"}) {
		t.Fatalf("on B: %+v", got)
	}
	var overWS TaskEvent
	sock.ReadJSON(&overWS)
	if overWS != (TaskEvent{Op: "created", ID: created.ID, Title: "Live from A"}) {
		t.Fatalf("over the WebSocket on B: %+v", overWS)
	}
	a.cl.Patch("/api/v1/tasks/"+itoa(created.ID)).Header("Authorization", bearer).JSON(map[string]any{"title": "Renamed"}).Do().
		ExpectStatus(http.StatusOK)
	if got := next(); got != (TaskEvent{Op: "updated", ID: created.ID, Title: "Renamed"}) {
		t.Fatalf("on B: %+v", got)
	}
	// A refused change broadcasts nothing; the next event is the delete.
	a.cl.Post("/api/v1/tasks").Header("Authorization", bearer).JSON(map[string]any{"title": ""}).Do().
		ExpectStatus(http.StatusUnprocessableEntity)
	a.cl.Delete("/api/v1/tasks/"+itoa(created.ID)).Header("Authorization", bearer).Do().ExpectStatus(http.StatusNoContent)
	if got := next(); got != (TaskEvent{Op: "deleted", ID: created.ID}) {
		t.Fatalf("on B: %+v", got)
	}
}

// TestAuthAcrossInstances: with REDIS_URL the sessions, refresh tokens and
// revocations are in Redis: a session started on A works on B, ends on B
// when it is signed out on A; an access token revoked on A is refused on B;
// a refresh token rotated on A is spent on B.
func TestAuthAcrossInstances(t *testing.T) {
	cl := cluster(t, 2)
	a, b := cl[0], cl[1]
	_, bearer := signUp(t, a.cl, "Ada", "ada@example.com")

	jar, _ := cookiejar.New(nil) // cookies ignore ports: A's cookies go to B
	// A generous timeout: the sign-in hashes a password, slow on a loaded
	// 2-core CI machine.
	web := &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(base, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Accept", "text/html")
		res, err := web.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	body := func(res *http.Response) string {
		defer res.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := res.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				return sb.String()
			}
		}
	}
	post := func(base, path string, form url.Values) *http.Response {
		t.Helper()
		res, err := web.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}

	login := body(get(a.srv.URL, "/login"))
	res := post(a.srv.URL, "/login", url.Values{"csrf_token": {csrfOf(t, login)}, "email": {"ada@example.com"}, "password": {"password-of-Ada"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/board" {
		t.Fatalf("sign in on A: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	page := get(b.srv.URL, "/board")
	boardB := body(page)
	if page.StatusCode != http.StatusOK || !strings.Contains(boardB, `id="task-form"`) {
		t.Fatalf("the session from A on B: %d", page.StatusCode)
	}
	res = post(a.srv.URL, "/logout", url.Values{"csrf_token": {csrfOf(t, boardB)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out on A: %d", res.StatusCode)
	}
	if res := get(b.srv.URL, "/board"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		res.Body.Close()
		t.Fatalf("the ended session on B: %d %s, want a redirect to /login", res.StatusCode, res.Header.Get("Location"))
	}

	b.cl.Get("/api/v1/users/me").Header("Authorization", bearer).Do().ExpectStatus(http.StatusOK)
	authA := findAuth(t, a.app)
	u, err := authA.Verify(context.Background(), strings.TrimPrefix(bearer, "Bearer "))
	if err != nil {
		t.Fatal(err)
	}
	if err := authA.Revoke(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	b.cl.Get("/api/v1/users/me").Header("Authorization", bearer).Do().ExpectStatus(http.StatusUnauthorized)

	tok := token(t, a.cl, "ada@example.com", "password-of-Ada")
	a.cl.Post("/api/v1/auth/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}).Do().
		ExpectStatus(http.StatusOK)
	b.cl.Post("/api/v1/auth/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}).Do().
		ExpectStatus(http.StatusBadRequest) // reused: its family is revoked everywhere
}
