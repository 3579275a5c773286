package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type task struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
}

var bg = context.Background()

func TestSetGetTyped(t *testing.T) {
	c := newTestCache(t)
	if err := c.Set(bg, "t:1", task{1, "a"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, ok := Get[task](bg, c, "t:1")
	if !ok || got.Title != "a" {
		t.Fatalf("Get = %+v, %v", got, ok)
	}
	// Another type decodes through the codec.
	m, ok := Get[map[string]any](bg, c, "t:1")
	if !ok || m["title"] != "a" {
		t.Fatalf("Get as map = %v, %v", m, ok)
	}
	if _, ok := Get[task](bg, c, "missing"); ok {
		t.Fatal("missing key found")
	}
	c.Delete(bg, "t:1")
	if _, ok := Get[task](bg, c, "t:1"); ok {
		t.Fatal("deleted key found")
	}
}

func TestValidation(t *testing.T) {
	for name, o := range map[string]Option{
		"size": WithMaxEntries(0), "jitter": WithJitter(1), "timeout": WithRedisTimeout(0), "l1": WithL1TTL(0),
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestStampedeOneLoader(t *testing.T) {
	c := newTestCache(t)
	var calls atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	const n = 1000
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := GetOrLoad(bg, c, "cold", time.Minute, func(ctx context.Context) (int, error) {
				calls.Add(1)
				<-release
				return 42, nil
			})
			if err == nil && v != 42 {
				err = errors.New("wrong value")
			}
			errs <- err
		}()
	}
	// Let the callers pile up behind the one loader before it returns.
	waitFor(t, "a loader call", func() bool { return calls.Load() == 1 })
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("loader ran %d times for one key, want 1", calls.Load())
	}
}

func TestNegativeCaching(t *testing.T) {
	c := newTestCache(t, WithNegativeTTL(time.Minute))
	calls := 0
	load := func(ctx context.Context) (task, error) { calls++; return task{}, ErrNotFound }
	for range 3 {
		if _, err := GetOrLoad(bg, c, "nope", time.Minute, load); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
	}
	if calls != 1 {
		t.Fatalf("loader ran %d times, want 1 (negative entry)", calls)
	}
}

func TestStaleWhileRevalidate(t *testing.T) {
	c := newTestCache(t, WithStaleWhileRevalidate(time.Hour), WithJitter(0))
	var n atomic.Int64
	load := func(ctx context.Context) (int64, error) { return n.Add(1), nil }
	if v, _ := GetOrLoad(bg, c, "k", time.Millisecond, load); v != 1 {
		t.Fatalf("first = %d", v)
	}
	time.Sleep(5 * time.Millisecond)
	// Expired: the stale value is served and a refresh starts.
	if v, _ := GetOrLoad(bg, c, "k", time.Hour, load); v != 1 {
		t.Fatalf("stale serve = %d, want 1", v)
	}
	waitFor(t, "the refresh", func() bool { v, ok := Get[int64](bg, c, "k"); return ok && v == 2 })
	if c.Stats().StaleServes != 1 {
		t.Fatalf("stats %+v", c.Stats())
	}
}

func TestStaleIfError(t *testing.T) {
	c := newTestCache(t, WithStaleIfError(time.Hour), WithJitter(0))
	if _, err := GetOrLoad(bg, c, "k", time.Millisecond, func(ctx context.Context) (string, error) { return "old", nil }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	v, err := GetOrLoad(bg, c, "k", time.Minute, func(ctx context.Context) (string, error) { return "", errors.New("db down") })
	if err != nil || v != "old" {
		t.Fatalf("= %q, %v; want the stale value", v, err)
	}
	// Without the window, the error comes through.
	c2 := newTestCache(t, WithJitter(0))
	_, _ = GetOrLoad(bg, c2, "k", time.Millisecond, func(ctx context.Context) (string, error) { return "old", nil })
	time.Sleep(5 * time.Millisecond)
	if _, err := GetOrLoad(bg, c2, "k", time.Minute, func(ctx context.Context) (string, error) { return "", errors.New("db down") }); err == nil {
		t.Fatal("no error without stale-if-error")
	}
}

func TestJitter(t *testing.T) {
	c := newTestCache(t, WithJitter(0.5))
	seen := map[time.Duration]bool{}
	for range 20 {
		d := c.ttlFor(time.Hour)
		if d < 30*time.Minute || d > time.Hour {
			t.Fatalf("jittered ttl %s out of [30m, 1h]", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Fatal("no jitter")
	}
}

func TestTagsMemory(t *testing.T) {
	c := newTestCache(t)
	_ = c.Set(bg, "task:1", task{1, "a"}, time.Minute, Tags("task:1", "board:7"))
	_ = c.Set(bg, "task:2", task{2, "b"}, time.Minute, Tags("task:2", "board:7"))
	_ = c.Set(bg, "task:3", task{3, "c"}, time.Minute, Tags("task:3", "board:8"))
	c.InvalidateTags(bg, "board:7")
	for key, want := range map[string]bool{"task:1": false, "task:2": false, "task:3": true} {
		if _, ok := Get[task](bg, c, key); ok != want {
			t.Errorf("%s present = %v, want %v", key, ok, want)
		}
	}
	// A set after the invalidation is valid again.
	_ = c.Set(bg, "task:1", task{1, "a2"}, time.Minute, Tags("task:1", "board:7"))
	if v, ok := Get[task](bg, c, "task:1"); !ok || v.Title != "a2" {
		t.Fatalf("after re-set: %+v %v", v, ok)
	}
}

func TestLoadRacingInvalidationIsNotKept(t *testing.T) {
	c := newTestCache(t)
	started, release := make(chan struct{}), make(chan struct{})
	go func() { <-started; c.InvalidateTags(bg, "board:7"); close(release) }()
	v, err := GetOrLoad(bg, c, "list", time.Minute, func(ctx context.Context) (string, error) {
		close(started)
		<-release
		return "before-write", nil
	}, Tags("board:7"))
	if err != nil || v != "before-write" {
		t.Fatal(v, err)
	}
	if _, ok := Get[string](bg, c, "list"); ok {
		t.Fatal("a value loaded before an invalidation of its tag was kept")
	}
}
