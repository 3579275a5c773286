package cache

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/redis/go-redis/v9"
)

// realRedis returns a client on the test Redis (COVET_TEST_REDIS or
// 127.0.0.1:6379), skipping (or failing with COVET_REQUIRE_SERVICES=1) when
// it is unreachable.
func realRedis(t testing.TB) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(covettest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	covettest.NeedService(t, "Redis", c.Ping(ctx).Err())
	t.Cleanup(func() { c.Close() })
	return c
}

// testPrefix returns a key prefix unique to the test and deletes its keys
// when the test ends.
func testPrefix(t testing.TB, rdb *redis.Client) string {
	t.Helper()
	name := strings.NewReplacer("/", ":", " ", "_").Replace(t.Name())
	prefix := fmt.Sprintf("covet-test:cache:%s:%d:", name, time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return prefix
}

// newTestCache returns a started cache, stopped when the test ends.
func newTestCache(t testing.TB, opts ...Option) *Cache {
	t.Helper()
	c, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ownRedis is a private redis-server on a free loopback port, for fault
// tests that stop and restart it (the shared one never is).
type ownRedis struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	addr string
	cmd  *exec.Cmd
}

func startOwnRedis(t testing.TB) *ownRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	covettest.NeedService(t, "redis-server binary", err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &ownRedis{t: t, bin: bin, dir: t.TempDir(), port: port, addr: fmt.Sprintf("127.0.0.1:%d", port)}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *ownRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"))
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); c.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			r.t.Fatal("own redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *ownRedis) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(os.Kill)
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// TestMain quiets go-redis's process-wide logger (failed dials while the
// fault tests have Redis down).
func TestMain(m *testing.M) {
	redis.SetLogger(quietRedisLogger{})
	os.Exit(m.Run())
}

type quietRedisLogger struct{}

func (quietRedisLogger) Printf(context.Context, string, ...any) {}
