package ratelimit

import (
	"strings"
	"testing"
	"time"
)

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in        string
		count     int
		period    time.Duration
		burst     int
		algo      Algorithm
		formatted string
	}{
		{"100/minute", 100, time.Minute, 100, GCRA, "100/minute"},
		{"100/min burst 20", 100, time.Minute, 20, GCRA, "100/minute burst 20"},
		{"5/s", 5, time.Second, 5, GCRA, "5/second"},
		{"1000/day sliding", 1000, 24 * time.Hour, 1000, SlidingWindow, "1000/day sliding"},
		{"10/30s", 10, 30 * time.Second, 10, GCRA, "10/30s"},
		{"3/Hours", 3, time.Hour, 3, GCRA, "3/hour"},
		{"1/1.5s burst 4", 1, 1500 * time.Millisecond, 4, GCRA, "1/1.5s burst 4"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := ParseLimit(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if l.Count() != tt.count || l.Period() != tt.period || l.BurstSize() != tt.burst || l.Algorithm() != tt.algo {
				t.Errorf("got %d/%s burst %d %s", l.Count(), l.Period(), l.BurstSize(), l.Algorithm())
			}
			if got := l.String(); got != tt.formatted {
				t.Errorf("String() = %q, want %q", got, tt.formatted)
			}
			again, err := ParseLimit(l.String())
			if err != nil || again.String() != l.String() {
				t.Errorf("round trip of %q: %v, %v", l.String(), again, err)
			}
		})
	}
}

func TestLimitErrors(t *testing.T) {
	tests := []struct {
		name    string
		limit   func() (Limit, error)
		wantErr string
	}{
		{"zero count", func() (Limit, error) { l := PerMinute(0); return l, l.Err() }, "count must be at least 1"},
		{"tiny period", func() (Limit, error) { l := Per(1, time.Microsecond); return l, l.Err() }, "period must be at least 1ms"},
		{"faster than a microsecond", func() (Limit, error) { l := Per(2000, time.Millisecond); return l, l.Err() }, "more than one request per microsecond"},
		{"zero burst", func() (Limit, error) { l := PerMinute(10).Burst(0); return l, l.Err() }, "burst 0 must be between"},
		{"burst with sliding window", func() (Limit, error) { l := PerMinute(10).SlidingWindow().Burst(3); return l, l.Err() }, "a sliding window has no burst"},
		{"sliding window after burst", func() (Limit, error) { l := PerMinute(10).Burst(3).SlidingWindow(); return l, l.Err() }, "a sliding window has no burst"},
		{"bad name", func() (Limit, error) { l := PerMinute(10).Named(`a"b`); return l, l.Err() }, "limit name"},
		{"parse without slash", func() (Limit, error) { return ParseLimit("100 per minute") }, "want COUNT/PERIOD"},
		{"parse bad period", func() (Limit, error) { return ParseLimit("100/fortnight") }, "period \"fortnight\""},
		{"parse bad count", func() (Limit, error) { return ParseLimit("x/minute") }, "count \"x\""},
		{"parse burst without number", func() (Limit, error) { return ParseLimit("1/s burst") }, "burst needs a number"},
		{"parse junk", func() (Limit, error) { return ParseLimit("1/s fast") }, "unexpected \"fast\""},
		{"parse empty", func() (Limit, error) { return ParseLimit("  ") }, "empty limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.limit()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "ratelimit: ") {
				t.Fatalf("error = %v, want one with %q, prefixed with ratelimit:", err, tt.wantErr)
			}
		})
	}
}

func TestPolicyErrors(t *testing.T) {
	tests := []struct {
		name    string
		policy  *Policy
		wantErr string
	}{
		{"no limits", NewPolicy("p"), "has no limits"},
		{"bad name", NewPolicy("a b", WithLimits(PerSecond(1))), "policy name"},
		{"invalid limit", NewPolicy("p", WithLimits(PerSecond(0))), "count must be at least 1"},
		{"duplicate limit names", NewPolicy("p", WithLimits(PerSecond(1).Named("x"), PerDay(9).Named("x"))), "two limits are named \"x\""},
		{"lower-case method", NewPolicy("p", WithLimits(PerSecond(1)), WithMethods("post")), "must be upper case"},
		{"empty key", NewPolicy("p", WithLimits(PerSecond(1)), WithKey(Key{})), "has no key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Err()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}

func TestPolicyNamesAndHeader(t *testing.T) {
	tests := []struct {
		name   string
		policy *Policy
		header string
	}{
		{"one limit takes the policy's name", NewPolicy("api", WithLimits(PerMinute(100).Burst(20))), `"api";q=100;w=60`},
		{"several limits are named by period", NewPolicy("writes", WithLimits(PerSecond(5), PerDay(1000))), `"writes.second";q=5;w=1, "writes.day";q=1000;w=86400`},
		{"same period twice gets a suffix", NewPolicy("p", WithLimits(PerSecond(5), PerSecond(50).SlidingWindow())), `"p.second";q=5;w=1, "p.second-2";q=50;w=1`},
		{"explicit names", NewPolicy("p", WithLimits(PerSecond(5).Named("burst"), PerDay(9).Named("daily"))), `"burst";q=5;w=1, "daily";q=9;w=86400`},
		{"sub-second window rounds up", NewPolicy("p", WithLimits(Per(10, 500*time.Millisecond))), `"p";q=10;w=1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.policy.Err(); err != nil {
				t.Fatal(err)
			}
			if got := tt.policy.header[0]; got != tt.header {
				t.Errorf("RateLimit-Policy = %s, want %s", got, tt.header)
			}
		})
	}
}
