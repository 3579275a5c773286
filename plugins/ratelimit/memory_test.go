package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryBounded(t *testing.T) {
	m := NewMemory(WithMaxKeys(1000), WithShards(16))
	reqs := []Request{{Scope: "s", Limit: PerHour(10)}}
	out := make([]Decision, 1)
	for i := 0; i < 20000; i++ {
		reqs[0].Key = fmt.Sprintf("client-%d", i)
		if ok, _ := m.Take(context.Background(), reqs, out); !ok {
			t.Fatalf("a new key was refused")
		}
	}
	st := m.Stats()
	if st.Keys > 1000 {
		t.Fatalf("%d keys stored, bound is 1000", st.Keys)
	}
	if st.EvictedLive < 19000 {
		t.Errorf("evicted %d live keys, want at least 19000 (none had expired)", st.EvictedLive)
	}
}

func TestMemoryExpiredKeysAreSwept(t *testing.T) {
	now := start
	m := NewMemory(WithShards(16), WithSweepInterval(time.Second))
	m.now = func() int64 { return now }
	reqs := []Request{{Scope: "s", Limit: PerSecond(10)}}
	out := make([]Decision, 1)
	for i := 0; i < 1000; i++ {
		reqs[0].Key = fmt.Sprintf("old-%d", i)
		m.Take(context.Background(), reqs, out)
	}
	if n := m.Len(); n != 1000 {
		t.Fatalf("%d keys, want 1000", n)
	}
	now += 5_000_000 // every old key's state is back at rest
	for i := 0; i < 1000; i++ {
		reqs[0].Key = fmt.Sprintf("new-%d", i)
		m.Take(context.Background(), reqs, out)
	}
	if st := m.Stats(); st.Keys != 1000 || st.Expired != 1000 || st.EvictedLive != 0 {
		t.Fatalf("stats %+v, want the 1000 old keys swept and the 1000 new ones kept", st)
	}
}

// TestMemoryExpiredStateIsFresh checks that an expired entry that was not
// swept yet is read as absent.
func TestMemoryExpiredStateIsFresh(t *testing.T) {
	now := start
	m := NewMemory()
	m.now = func() int64 { return now }
	reqs := []Request{{Scope: "s", Key: "k", Limit: PerSecond(2).SlidingWindow()}}
	out := make([]Decision, 1)
	m.Take(context.Background(), reqs, out)
	m.Take(context.Background(), reqs, out)
	if ok, _ := m.Take(context.Background(), reqs, out); ok {
		t.Fatal("third request in the window allowed")
	}
	now += 10_000_000
	if ok, _ := m.Take(context.Background(), reqs, out); !ok || out[0].Remaining != 1 {
		t.Fatalf("after the windows passed: %v %+v", ok, out[0])
	}
}

// stoppedClock is a clock that never moves: concurrent tests count exactly
// however long the scheduler makes them take.
func stoppedClock() time.Time { return time.UnixMicro(start) }

// TestMemoryClock checks that WithClock drives the backend: a refused key is
// allowed again once the clock has moved on by the limit's interval.
func TestMemoryClock(t *testing.T) {
	now := time.UnixMicro(start)
	m := NewMemory(WithClock(func() time.Time { return now }))
	reqs := []Request{{Scope: "s", Key: "k", Limit: PerMinute(1)}}
	out := make([]Decision, 1)
	if ok, _ := m.Take(context.Background(), reqs, out); !ok {
		t.Fatal("first request refused")
	}
	if ok, _ := m.Take(context.Background(), reqs, out); ok || out[0].RetryAfter != time.Minute {
		t.Fatalf("second request: allowed %v, retry after %s; want refused for a minute", ok, out[0].RetryAfter)
	}
	now = now.Add(time.Minute)
	if ok, _ := m.Take(context.Background(), reqs, out); !ok {
		t.Fatal("refused after the clock moved on by the interval")
	}
}

func TestMemoryConcurrentOneKey(t *testing.T) {
	for _, l := range []Limit{PerHour(123), PerHour(123).SlidingWindow()} {
		t.Run(l.Algorithm().String(), func(t *testing.T) {
			m := NewMemory(WithClock(stoppedClock))
			var allowed atomic.Int64
			var wg sync.WaitGroup
			for g := 0; g < 100; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					reqs := []Request{{Scope: "s", Key: "hot", Limit: l}}
					out := make([]Decision, 1)
					for i := 0; i < 10; i++ {
						if ok, _ := m.Take(context.Background(), reqs, out); ok {
							allowed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			if allowed.Load() != 123 {
				t.Fatalf("%d of 1000 allowed, want exactly 123", allowed.Load())
			}
		})
	}
}

// TestMemoryManyLimitsConcurrently takes pairs of limits whose keys live in
// different shards, in both orders, from many goroutines: it must neither
// deadlock nor let more through than the tighter limit.
func TestMemoryManyLimitsConcurrently(t *testing.T) {
	m := NewMemory(WithShards(4), WithClock(stoppedClock))
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			a := Request{Scope: "a", Key: "x", Limit: PerHour(1000)}
			b := Request{Scope: "b", Key: "y", Limit: PerHour(77)}
			reqs := []Request{a, b}
			if g%2 == 1 {
				reqs = []Request{b, a}
			}
			out := make([]Decision, 2)
			for i := 0; i < 20; i++ {
				if ok, _ := m.Take(context.Background(), reqs, out); ok {
					allowed.Add(1)
				}
			}
		}(g)
	}
	wg.Wait()
	if allowed.Load() != 77 {
		t.Fatalf("%d allowed, want exactly 77", allowed.Load())
	}
	out := make([]Decision, 1)
	m.Take(context.Background(), []Request{{Scope: "a", Key: "x", Limit: PerHour(1000)}}, out)
	if out[0].Remaining != 1000-77-1 {
		t.Errorf("the looser limit counted %d requests, want 77 (refused requests count nowhere)", 1000-1-out[0].Remaining)
	}
}
