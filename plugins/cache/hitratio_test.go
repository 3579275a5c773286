package cache

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"
)

// zipfTrace is a generated trace: n requests over keys 0..keys-1, Zipf
// distributed with exponent s, from a fixed seed (every store sees the same
// trace).
func zipfTrace(s float64, keys uint64, n int) []uint64 {
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, s, 1, keys-1)
	t := make([]uint64, n)
	for i := range t {
		t[i] = z.Uint64()
	}
	return t
}

// TestHitRatio replays Zipf traces (100k keys, capacity 10 %) through the
// L1 candidates and this package's Cache, and reports each hit ratio. It is
// a measurement, not a unit test: run it with
//
//	COVET_HITRATIO=1 go test -run TestHitRatio -v ./plugins/cache
//
// It fails if this package's Cache is under 80 % at s = 1.2 (the bar).
func TestHitRatio(t *testing.T) {
	if os.Getenv("COVET_HITRATIO") == "" {
		t.Skip("set COVET_HITRATIO=1 to measure hit ratios")
	}
	const keys, capacity, n = 100_000, 10_000, 1_000_000
	for _, s := range []float64{1.01, 1.2} { // rand.Zipf needs s > 1
		trace := zipfTrace(s, keys, n)
		ratios := map[string]float64{}

		oc := otter.Must(&otter.Options[uint64, uint64]{MaximumSize: capacity})
		ratios["otter"] = replay(trace, func(k uint64) bool { _, ok := oc.GetIfPresent(k); return ok },
			func(k uint64) { oc.Set(k, k) })

		rc, err := ristretto.NewCache(&ristretto.Config[uint64, uint64]{NumCounters: capacity * 10, MaxCost: capacity, BufferItems: 64})
		if err != nil {
			t.Fatal(err)
		}
		ratios["ristretto"] = replay(trace, func(k uint64) bool { _, ok := rc.Get(k); return ok },
			func(k uint64) { rc.Set(k, k, 1); rc.Wait() })
		rc.Close()

		lc, _ := lru.New[uint64, uint64](capacity)
		ratios["lru"] = replay(trace, func(k uint64) bool { _, ok := lc.Get(k); return ok },
			func(k uint64) { lc.Add(k, k) })

		c, err := New(WithMaxEntries(capacity), WithJitter(0))
		if err != nil {
			t.Fatal(err)
		}
		ratios["covet-cache"] = replay(trace, func(k uint64) bool { _, ok := Get[uint64](bg, c, strconv.FormatUint(k, 10)); return ok },
			func(k uint64) { _ = c.Set(bg, strconv.FormatUint(k, 10), k, time.Hour) })

		t.Logf("Zipf s=%.2f, %d keys, capacity %d, %d requests: otter %.1f %%, ristretto %.1f %%, LRU %.1f %%, covet cache (otter L1) %.1f %%",
			s, keys, capacity, n, ratios["otter"], ratios["ristretto"], ratios["lru"], ratios["covet-cache"])
		if s == 1.2 && ratios["covet-cache"] < 80 {
			t.Errorf("hit ratio %.1f %% < 80 %% at s=1.2", ratios["covet-cache"])
		}
	}
}

// replay runs the trace as a read-through cache and returns the hit ratio
// in percent.
func replay(trace []uint64, get func(uint64) bool, set func(uint64)) float64 {
	hits := 0
	for _, k := range trace {
		if get(k) {
			hits++
		} else {
			set(k)
		}
	}
	return 100 * float64(hits) / float64(len(trace))
}
