package authredis_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/redis/go-redis/v9"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// realRedis returns options for the shared test Redis, skipping (or failing
// with COVET_REQUIRE_SERVICES=1) when it is unreachable.
func realRedis(t testing.TB) *redis.Options {
	t.Helper()
	opt, err := redis.ParseURL(covettest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	covettest.NeedService(t, "Redis", c.Ping(ctx).Err())
	return opt
}

// newClient returns a client (closed at the end of the test) with a
// roomy per-command timeout for tests that are not about timeouts.
func newClient(t testing.TB, opt *redis.Options) *redis.Client {
	t.Helper()
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// testPrefix returns a key prefix unique to the test; its keys are deleted
// when the test ends.
func testPrefix(t testing.TB, opt *redis.Options) string {
	t.Helper()
	name := strings.NewReplacer("/", ":", " ", "_").Replace(t.Name())
	prefix := fmt.Sprintf("covet-test:auth:%s:%d:", name, time.Now().UnixNano())
	t.Cleanup(func() {
		c := redis.NewClient(opt)
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return prefix
}

// cmdCounter is a go-redis hook counting commands and pipelines (a
// pipeline or a command is one round trip).
type cmdCounter struct {
	trips atomic.Int64
	names atomic.Pointer[[]string]
}

func (h *cmdCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *cmdCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.trips.Add(1)
		h.record(cmd.Name())
		return next(ctx, cmd)
	}
}
func (h *cmdCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.trips.Add(1)
		h.record("pipeline")
		return next(ctx, cmds)
	}
}
func (h *cmdCounter) record(n string) {
	for {
		old := h.names.Load()
		var nw []string
		if old != nil {
			nw = append(nw, *old...)
		}
		nw = append(nw, n)
		if h.names.CompareAndSwap(old, &nw) {
			return
		}
	}
}
func (h *cmdCounter) reset() { h.trips.Store(0); h.names.Store(nil) }
func (h *cmdCounter) list() []string {
	if p := h.names.Load(); p != nil {
		return *p
	}
	return nil
}

// ownRedis starts a private redis-server on a free loopback port for fault
// tests (it may be stopped, stalled and killed; the shared one never is).
type ownRedis struct {
	cmd  *exec.Cmd
	addr string
}

func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	covettest.NeedService(t, "redis-server binary", err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &ownRedis{cmd: cmd, addr: fmt.Sprintf("127.0.0.1:%d", port)}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Kill)
		_ = cmd.Wait()
	})
	c := redis.NewClient(&redis.Options{Addr: r.addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("own redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

// TestMain quiets go-redis's process-wide logger (failed dials while the
// fault test has Redis down).
func TestMain(m *testing.M) {
	redis.SetLogger(quietRedisLogger{})
	os.Exit(m.Run())
}

type quietRedisLogger struct{}

func (quietRedisLogger) Printf(context.Context, string, ...any) {}
