package sse

import (
	"testing"
	"time"
)

// Jitter adds up to half of d, and the values differ between calls (so
// that clients told to wait d do not all come back at once).
func TestJitter(t *testing.T) {
	const d = 2 * time.Second
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		j := Jitter(d)
		if j < d || j >= d+d/2 {
			t.Fatalf("Jitter(%v) = %v, want in [%v, %v)", d, j, d, d+d/2)
		}
		seen[j.Truncate(time.Millisecond)] = true
	}
	if len(seen) < 10 {
		t.Fatalf("50 jittered values gave %d distinct milliseconds", len(seen))
	}
	if Jitter(0) != 0 || Jitter(1) != 1 {
		t.Fatal("Jitter of no delay changed it")
	}
}
