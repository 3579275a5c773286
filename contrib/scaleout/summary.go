package scaleout

import (
	"slices"
	"time"
)

// Summary is a run's load figures alone, without the invariant checks
// (which need the taskboard): for the comparison with the peers.
type Summary struct {
	// Offered is the configured rate; Answered the requests answered per
	// second over the run (including the tail in which the last answers came).
	Offered, Answered float64
	Requests, Failed  int
	// Dropped were not sent: the in-flight bound was reached.
	Dropped  int
	P50, P99 time.Duration
}

// ErrorRate is Failed / Requests (0 without requests).
func (s Summary) ErrorRate() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Failed) / float64(s.Requests)
}

// Sustained reports whether the run met the load target: an error rate
// under maxErr, p99 under maxP99, and every request sent.
func (s Summary) Sustained(maxErr float64, maxP99 time.Duration) bool {
	return s.Requests > 0 && s.Dropped == 0 && s.ErrorRate() < maxErr && s.P99 < maxP99
}

// Summarize returns res's load figures.
func Summarize(res *Result) Summary {
	s := Summary{Offered: res.Config.Rate, Requests: len(res.Records), Dropped: int(res.Dropped)}
	if d := res.End.Sub(res.Start).Seconds(); d > 0 {
		s.Answered = float64(s.Requests) / d
	}
	took := make([]time.Duration, 0, len(res.Records))
	for _, r := range res.Records {
		took = append(took, r.Took)
		if r.Failed() {
			s.Failed++
		}
	}
	slices.Sort(took)
	if n := len(took); n > 0 {
		s.P50 = took[n/2]
		s.P99 = took[min(n-1, n*99/100)]
	}
	return s
}
