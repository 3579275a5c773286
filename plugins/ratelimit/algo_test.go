package ratelimit

import (
	"testing"
)

// start is a fixed epoch in µs (seqtest.Start), aligned to a day.
const start = int64(1_800_000_000) * 1_000_000 / 86_400_000_000 * 86_400_000_000

func TestGCRAReset(t *testing.T) {
	p := paramsOf(PerSecond(10).Burst(3))
	st, o := gcraTake(p, state{}, false, 1000)
	if !o.allowed || o.reset != 100_000 {
		t.Fatalf("first request: %+v, want allowed with reset 100ms", o)
	}
	_, o = gcraTake(p, st, true, 1000)
	if o.reset != 200_000 {
		t.Errorf("second request reset = %d, want 200000", o.reset)
	}
}
