package ratelimit

import (
	"context"
	"testing"
	"time"
)

// step is one request of a scripted sequence: at µs after the start, with
// the expected outcome of the whole request.
type step struct {
	at      int64
	allowed bool
	// remaining and retry of the first limit, checked when >= 0.
	remaining int64
	retry     int64
}

// clockBackend is a backend whose clock the test sets.
type clockBackend interface {
	Backend
	setNow(func() int64)
}

func (m *Memory) setNow(f func() int64) { m.now = f }
func (r *Redis) setNow(f func() int64)  { r.nowUS = f }

// start is a fixed epoch in µs, aligned to a day so window arithmetic in
// the expectations is readable.
const start = int64(1_800_000_000) * 1_000_000 / 86_400_000_000 * 86_400_000_000

type sequence struct {
	name   string
	limits []Limit
	steps  []step
}

var sequences = []sequence{
	{
		name:   "gcra burst then steady rate",
		limits: []Limit{PerSecond(10).Burst(3)},
		steps: []step{
			{0, true, 2, 0}, {0, true, 1, 0}, {0, true, 0, 0},
			{0, false, 0, 100_000},
			{99_999, false, 0, 1},
			{100_000, true, 0, 0},
			{150_000, false, 0, 50_000},
			{1_000_000, true, 2, 0}, // a quiet second refills the burst
		},
	},
	{
		name:   "gcra default burst is the count",
		limits: []Limit{PerMinute(3)},
		steps: []step{
			{0, true, 2, 0}, {1, true, 1, 0}, {2, true, 0, 0},
			{3, false, 0, 20_000_000 - 3},
			{20_000_000, true, 0, 0},
		},
	},
	{
		name:   "sliding window",
		limits: []Limit{PerSecond(3).SlidingWindow()},
		steps: []step{
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
		name:   "sliding window with one per window",
		limits: []Limit{Per(1, time.Second).SlidingWindow()},
		steps: []step{
			{0, true, 0, 0},
			{500_000, false, 0, 1_500_000},
			{2_000_000, true, 0, 0},
		},
	},
	{
		name:   "all or nothing across limits",
		limits: []Limit{PerSecond(100), PerMinute(2)},
		steps: []step{
			{0, true, 99, 0}, {1, true, 98, 0},
			// The minute limit refuses: the second limit's count is not taken.
			{2, false, 98, 30_000_000 - 2},
			{3, false, 98, 30_000_000 - 3},
		},
	},
}

// runSequence plays a sequence against a backend and checks every step.
func runSequence(t *testing.T, b clockBackend, seq sequence, keyPrefix string) []Decision {
	t.Helper()
	var now int64
	b.setNow(func() int64 { return now })
	reqs := make([]Request, len(seq.limits))
	for i, l := range seq.limits {
		reqs[i] = Request{Scope: "seq/" + seq.name + "/" + string(rune('a'+i)), Key: keyPrefix + "client", Limit: l}
	}
	var all []Decision
	for i, s := range seq.steps {
		now = start + s.at
		out := make([]Decision, len(reqs))
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

func TestAlgorithmsMemory(t *testing.T) {
	for _, seq := range sequences {
		t.Run(seq.name, func(t *testing.T) {
			runSequence(t, NewMemory(), seq, "")
		})
	}
}

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
