package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/redis/go-redis/v9"
)

// The benchmarks below drive the scaleout comparison's requests (contrib/
// scaleout, cmd/harness -compare) through one taskboard in process, on
// PostgreSQL and Redis as the topology runs it: the keyset list, a task's
// detail and a create with a bearer token. Besides ns/op (mostly waiting
// for PostgreSQL and Redis) each reports cpu-ns/op, the process's CPU time
// (user + system, getrusage) per request, the figure the topology's CPU per
// answered request follows:
//
//	COVET_REQUIRE_SERVICES=1 go test -run '^$' -bench . -benchtime 2000x ./contrib/examples/taskboard

// benchBoard is one started taskboard on PostgreSQL and Redis with a
// signed-in user.
type benchBoard struct {
	app    *covet.App
	bearer string
	ids    []int64
}

func newBenchBoard(b *testing.B) *benchBoard {
	b.Helper()
	rurl := covettest.RedisURL()
	opt, err := redis.ParseURL(rurl)
	if err != nil {
		b.Fatal(err)
	}
	probe := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	perr := probe.Ping(ctx).Err()
	_ = probe.Close()
	covettest.NeedService(b, "Redis", perr)
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	cfg := Config{DatabaseURL: ormtest.Postgres(b).DSN, RedisURL: rurl, RedisPrefix: "taskboard-bench-" + hex.EncodeToString(rnd) + ":",
		Secret: secret, RedisTimeout: testRedisTimeout, Logger: slog.New(slog.DiscardHandler),
		WriteLimit: ratelimit.PerSecond(1000000), AllowedHosts: []string{"127.0.0.1"},
		Options: []covet.Option{covet.WithTrustedProxies("127.0.0.1/32")}}
	app, err := NewApp(cfg)
	if err != nil {
		b.Fatal(err)
	}
	covettest.Start(b, app)
	bb := &benchBoard{app: app}
	bb.mustDo(b, http.MethodPost, "/api/v1/users", "application/json",
		`{"name":"Ada","email":"ada@example.com","password":"analytical engine"}`, http.StatusCreated)
	form := url.Values{"grant_type": {"password"}, "username": {"ada@example.com"}, "password": {"analytical engine"}}
	var tok tokenAnswer
	if err := json.Unmarshal(bb.mustDo(b, http.MethodPost, "/api/v1/auth/token", "application/x-www-form-urlencoded", form.Encode(), http.StatusOK), &tok); err != nil {
		b.Fatal(err)
	}
	bb.bearer = "Bearer " + tok.AccessToken
	for range 100 {
		bb.create(b)
	}
	return bb
}

// request is one request as HAProxy forwards the harness's.
func (bb *benchBoard) request(method, target, ctype, body, bearer string) *http.Request {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	r.Host = "127.0.0.1"
	r.RemoteAddr = "127.0.0.1:40000"
	r.Header.Set("X-Forwarded-For", "203.0.113.7, 127.0.0.1")
	r.Header.Set("X-Forwarded-Proto", "http")
	r.Header.Set("User-Agent", "Go-http-client/1.1")
	r.Header.Set("Accept-Encoding", "gzip")
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if bearer != "" {
		r.Header.Set("Authorization", bearer)
	}
	return r
}

func (bb *benchBoard) mustDo(b *testing.B, method, target, ctype, body string, want int) []byte {
	b.Helper()
	w := httptest.NewRecorder()
	bb.app.ServeHTTP(w, bb.request(method, target, ctype, body, ""))
	if w.Code != want {
		b.Fatalf("%s %s: %d %s, want %d", method, target, w.Code, w.Body.Bytes(), want)
	}
	return w.Body.Bytes()
}

var benchTaskBody = `{"title":"bench task","priority":3,"tags":["scaleout"]}`

func (bb *benchBoard) create(b *testing.B) {
	w := httptest.NewRecorder()
	bb.app.ServeHTTP(w, bb.request(http.MethodPost, "/api/v1/tasks", "application/json", benchTaskBody, bb.bearer))
	if w.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", w.Code, w.Body.Bytes())
	}
	var t struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &t)
	bb.ids = append(bb.ids, t.ID)
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runCPU runs f b.N times and reports cpu-ns/op.
func runCPU(b *testing.B, f func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime(b)
	for i := range b.N {
		f(i)
	}
	cpu := cpuTime(b) - start
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkCreateTask is POST /api/v1/tasks with a bearer token: the rate
// limit, the guard, the transaction, the cache invalidation and the live
// update.
func BenchmarkCreateTask(b *testing.B) {
	bb := newBenchBoard(b)
	runCPU(b, func(int) { bb.create(b) })
}

// BenchmarkListKeyset is the public first keyset page (no cache: keyset
// pages bypass it).
func BenchmarkListKeyset(b *testing.B) {
	bb := newBenchBoard(b)
	var body bytes.Buffer
	runCPU(b, func(int) {
		w := httptest.NewRecorder()
		bb.app.ServeHTTP(w, bb.request(http.MethodGet, "/api/v1/tasks?limit=20&cursor=", "", "", ""))
		if w.Code != http.StatusOK {
			b.Fatalf("list: %d %s", w.Code, w.Body.Bytes())
		}
		body.Reset()
	})
}

// BenchmarkGetTask is a public task detail of one of 100 tasks (the
// response cache admits a task's detail when it is read again).
func BenchmarkGetTask(b *testing.B) {
	bb := newBenchBoard(b)
	runCPU(b, func(i int) {
		w := httptest.NewRecorder()
		bb.app.ServeHTTP(w, bb.request(http.MethodGet, "/api/v1/tasks/"+strconv.FormatInt(bb.ids[i%len(bb.ids)], 10), "", "", ""))
		if w.Code != http.StatusOK {
			b.Fatalf("get: %d %s", w.Code, w.Body.Bytes())
		}
	})
}
