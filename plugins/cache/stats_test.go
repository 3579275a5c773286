package cache

import (
	"context"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// TestContract checks the Cache plugin (its figures included) against
// core's hook contract. (HTTPCache is not run through it: the Cache it needs
// is made outside the app and its L1's cleanup goroutine outlives the
// contract's goroutine checks.)
func TestContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin {
		c, err := New()
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func statOf(t *testing.T, r covet.StatsReporter, name string) float64 {
	t.Helper()
	for _, s := range r.AppendStats(nil) {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("no figure %q", name)
	return 0
}

// TestAppendStatsRedis: a miss, a load and a hit through L1 and the real
// Redis move the figures.
func TestAppendStatsRedis(t *testing.T) {
	rdb := realRedis(t)
	c := newTestCache(t, WithRedis(rdb), WithPrefix(testPrefix(t, rdb)))
	ctx := context.Background()
	load := func(context.Context) (string, error) { return "v", nil }
	for range 2 {
		if v, err := GetOrLoad(ctx, c, "k", time.Minute, load); err != nil || v != "v" {
			t.Fatalf("GetOrLoad = %q, %v", v, err)
		}
	}
	if h, m, l := statOf(t, c, "hits"), statOf(t, c, "misses"), statOf(t, c, "loads"); h != 1 || m != 1 || l != 1 {
		t.Errorf("hits %v misses %v loads %v, want 1 1 1", h, m, l)
	}
	c.InvalidateTags(ctx, "t1")
	if n := statOf(t, c, "invalidations"); n != 1 {
		t.Errorf("invalidations = %v, want 1", n)
	}
}
