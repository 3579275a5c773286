package middleware

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
)

// TestHeaderKeysCopy checks headerKeys.copy against maps.Copy on random
// header maps: keys learned or not, past maxLearnedKeys, into empty and
// filled maps, from goroutines sharing one headerKeys (run with -race).
func TestHeaderKeysCopy(t *testing.T) {
	var k headerKeys
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i := range 2000 {
				src, dst := http.Header{}, http.Header{}
				// Few distinct keys early (they get learned), more later.
				universe := 3 + i/50
				for range rng.IntN(6) {
					key := fmt.Sprintf("X-Key-%d", rng.IntN(universe))
					src[key] = []string{fmt.Sprint(rng.Int())}
				}
				for range rng.IntN(3) {
					dst[fmt.Sprintf("X-Key-%d", rng.IntN(universe))] = []string{"old"}
				}
				want := maps.Clone(dst)
				maps.Copy(want, src)
				k.copy(dst, src)
				if !maps.EqualFunc(dst, want, func(a, b []string) bool { return &a[0] == &b[0] }) {
					t.Errorf("copy of %v: got %v, want %v", src, dst, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(*k.learned.Load()); n != maxLearnedKeys {
		t.Errorf("learned %d keys, want the cap %d", n, maxLearnedKeys)
	}
}

// TestTimeoutSyncHeader: the real map ends up with exactly the handlers'
// entries, also when the handlers deleted a key set before Timeout ran.
func TestTimeoutSyncHeader(t *testing.T) {
	cfg := &timeoutConfig{}
	for _, tc := range []struct{ real, handlers http.Header }{
		{http.Header{}, http.Header{"A": {"1"}}},
		{http.Header{"A": {"0"}}, http.Header{"A": {"1"}, "B": {"2"}}},
		{http.Header{"A": {"0"}, "C": {"3"}}, http.Header{"A": {"1"}}}, // C deleted
		{http.Header{"C": {"3"}}, http.Header{}},
	} {
		rec := &discardWriter{h: tc.real}
		e := &timeoutEntry{timeoutRequest: timeoutRequest{w: rec, cfg: cfg}, h: tc.handlers}
		e.syncHeader()
		if !maps.EqualFunc(rec.h, tc.handlers, func(a, b []string) bool { return a[0] == b[0] }) {
			t.Errorf("real map %v after sync, want %v", rec.h, tc.handlers)
		}
	}
}
