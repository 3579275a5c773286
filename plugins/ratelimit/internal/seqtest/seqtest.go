// Package seqtest holds the scripted request sequences every ratelimit
// backend must answer exactly alike (the memory backend and the Redis
// script, a line-by-line port of the algorithms), for the tests of both.
package seqtest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/ratelimit"
)

// Step is one request of a scripted sequence: at µs after the start, with
// the expected outcome of the whole request.
type Step struct {
	at      int64
	allowed bool
	// remaining and retry of the first limit, checked when >= 0.
	remaining int64
	retry     int64
}

// Start is a fixed epoch in µs, aligned to a day so window arithmetic in
// the expectations is readable.
const Start = int64(1_800_000_000) * 1_000_000 / 86_400_000_000 * 86_400_000_000

type Sequence struct {
	Name   string
	Limits []ratelimit.Limit
	Steps  []Step
}

// Sequences are the scripted sequences.
var Sequences = []Sequence{
	{
		Name:   "gcra burst then steady rate",
		Limits: []ratelimit.Limit{ratelimit.PerSecond(10).Burst(3)},
		Steps: []Step{
			{0, true, 2, 0}, {0, true, 1, 0}, {0, true, 0, 0},
			{0, false, 0, 100_000},
			{99_999, false, 0, 1},
			{100_000, true, 0, 0},
			{150_000, false, 0, 50_000},
			{1_000_000, true, 2, 0}, // a quiet second refills the burst
		},
	},
	{
		Name:   "gcra default burst is the count",
		Limits: []ratelimit.Limit{ratelimit.PerMinute(3)},
		Steps: []Step{
			{0, true, 2, 0}, {1, true, 1, 0}, {2, true, 0, 0},
			{3, false, 0, 20_000_000 - 3},
			{20_000_000, true, 0, 0},
		},
	},
	{
		Name:   "sliding window",
		Limits: []ratelimit.Limit{ratelimit.PerSecond(3).SlidingWindow()},
		Steps: []Step{
			{100_000, true, 2, 0}, {100_000, true, 1, 0}, {100_000, true, 0, 0},
			// The window is full: wait until the next window's share of
			// this one drops to 2.
			{100_000, false, 0, 1_233_334},
			{1_333_333, false, 0, 1},
			{1_333_334, true, 0, 0},
			// Two windows later the old counts no longer matter.
			{3_000_000, true, 2, 0},
		},
	},
	{
		Name:   "sliding window with one per window",
		Limits: []ratelimit.Limit{ratelimit.Per(1, time.Second).SlidingWindow()},
		Steps: []Step{
			{0, true, 0, 0},
			{500_000, false, 0, 1_500_000},
			{2_000_000, true, 0, 0},
		},
	},
	{
		Name:   "all or nothing across limits",
		Limits: []ratelimit.Limit{ratelimit.PerSecond(100), ratelimit.PerMinute(2)},
		Steps: []Step{
			{0, true, 99, 0}, {1, true, 98, 0},
			// The minute limit refuses: the second limit's count is not taken.
			{2, false, 98, 30_000_000 - 2},
			{3, false, 98, 30_000_000 - 3},
		},
	},
}

// Run plays a sequence against a backend whose clock (in µs) setNow pins,
// and checks every step.
func Run(t *testing.T, b ratelimit.Backend, setNow func(func() int64), seq Sequence, keyPrefix string) []ratelimit.Decision {
	t.Helper()
	var now int64
	setNow(func() int64 { return now })
	reqs := make([]ratelimit.Request, len(seq.Limits))
	for i, l := range seq.Limits {
		reqs[i] = ratelimit.Request{Scope: "seq/" + seq.Name + "/" + string(rune('a'+i)), Key: keyPrefix + "client", Limit: l}
	}
	var all []ratelimit.Decision
	for i, s := range seq.Steps {
		now = Start + s.at
		out := make([]ratelimit.Decision, len(reqs))
		ok, err := b.Take(context.Background(), reqs, out)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if ok != s.allowed {
			t.Errorf("step %d (t=%dµs): allowed = %v, want %v (%+v)", i, s.at, ok, s.allowed, out)
		}
		if s.remaining >= 0 && out[0].Remaining != s.remaining {
			t.Errorf("step %d (t=%dµs): remaining = %d, want %d", i, s.at, out[0].Remaining, s.remaining)
		}
		var retry int64
		for _, d := range out {
			if !d.Allowed {
				retry = max(retry, d.RetryAfter.Microseconds())
			}
		}
		if retry != s.retry {
			t.Errorf("step %d (t=%dµs): retry = %dµs, want %dµs", i, s.at, retry, s.retry)
		}
		all = append(all, out...)
	}
	return all
}

// Memory returns a memory backend and the function that pins its clock.
func Memory() (ratelimit.Backend, func(func() int64)) {
	var clock atomic.Pointer[func() int64]
	m := ratelimit.NewMemory(ratelimit.WithClock(func() time.Time { return time.UnixMicro((*clock.Load())()) }))
	return m, func(f func() int64) { clock.Store(&f) }
}
