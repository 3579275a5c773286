package scaleout

import (
	"context"
	"errors"
	"math"
)

// Probe is one step of a rate search: the offered rate and whether the app
// met the criterion at it.
type Probe struct {
	Rate float64
	OK   bool
	// Summary is what the prober measured (zero for a fake prober).
	Summary Summary
}

// Prober runs one fresh step at rate and reports whether the app met the
// criterion (Summary.Sustained). An error ends the search.
type Prober func(ctx context.Context, rate float64) (Probe, error)

// SearchOptions bound a rate search. Zero fields take the defaults.
type SearchOptions struct {
	// Start is the first rate probed (default 400/s).
	Start float64
	// Min and Max bound the search (default 25/s and 20,000/s): a rate
	// failing at Min reports 0, one met at Max reports Max.
	Min, Max float64
	// Tolerance is the search's precision: it stops when the lowest
	// failing rate is at most (1 + Tolerance) × the highest met rate
	// (default 0.05: the knee is known within 5 %).
	Tolerance float64
	// MaxProbes bounds the probes before the confirmation (default 16).
	MaxProbes int
}

func (o *SearchOptions) defaults() {
	if o.Start <= 0 {
		o.Start = 400
	}
	if o.Min <= 0 {
		o.Min = 25
	}
	if o.Max <= 0 {
		o.Max = 20000
	}
	if o.Tolerance <= 0 {
		o.Tolerance = 0.05
	}
	if o.MaxProbes <= 0 {
		o.MaxProbes = 16
	}
	o.Start = math.Min(math.Max(o.Start, o.Min), o.Max)
}

// SearchResult is the outcome of a rate search.
type SearchResult struct {
	// Rate is the highest rate met (0: not even Min); Above the lowest rate
	// that failed above it (0: none failed up to Max).
	Rate, Above float64
	// Probes are the search's steps in order, the confirmation last.
	Probes []Probe
	// Confirmed reports whether a repeat of Rate met the criterion again
	// (false when Rate is 0).
	Confirmed bool
	// Precise reports whether the search narrowed the bracket to the
	// tolerance (or hit Min or Max) within MaxProbes.
	Precise bool
}

// ErrNoProber is returned by Search without a prober.
var ErrNoProber = errors.New("scaleout: Search needs a prober")

// Search finds the highest rate at which probe meets its criterion, within
// opts.Tolerance: it brackets the knee from opts.Start (doubling while the
// rate is met, halving while it fails), bisects the bracket until the
// failing rate is within the tolerance of the met one, then repeats the
// highest met rate once to confirm it. Rates are whole requests per second,
// so the same prober answers give the same probes: the search is
// deterministic given its probes' outcomes. It assumes a rate met is met
// below too; a noisy probe can break that, which the confirmation shows.
func Search(ctx context.Context, opts SearchOptions, probe Prober) (SearchResult, error) {
	if probe == nil {
		return SearchResult{}, ErrNoProber
	}
	opts.defaults()
	var res SearchResult
	run := func(rate float64) (bool, error) {
		p, err := probe(ctx, rate)
		if err != nil {
			return false, err
		}
		p.Rate = rate
		res.Probes = append(res.Probes, p)
		return p.OK, nil
	}
	lo, hi := 0.0, 0.0 // highest met, lowest failed (0: none yet)
	rate := math.Round(opts.Start)
	n := 0
	// Bracket.
	for n < opts.MaxProbes {
		ok, err := run(rate)
		n++
		if err != nil {
			return res, err
		}
		if ok {
			lo = rate
			if hi > 0 {
				break
			}
			if rate >= opts.Max {
				break
			}
			rate = math.Min(math.Round(rate*2), opts.Max)
			continue
		}
		hi = rate
		if lo > 0 {
			break
		}
		if rate <= opts.Min {
			break
		}
		rate = math.Max(math.Round(rate/2), opts.Min)
	}
	// Bisect.
	for n < opts.MaxProbes && lo > 0 && hi > 0 && hi > lo*(1+opts.Tolerance) {
		mid := math.Round((lo + hi) / 2)
		if mid <= lo || mid >= hi {
			break // whole requests per second: no rate left between
		}
		ok, err := run(mid)
		n++
		if err != nil {
			return res, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	res.Rate, res.Above = lo, hi
	switch {
	case lo == 0:
		res.Precise = hi > 0 && hi <= opts.Min
	case hi == 0:
		res.Precise = lo >= opts.Max
	default:
		res.Precise = hi <= lo*(1+opts.Tolerance) || hi-lo <= 1
	}
	if lo > 0 {
		ok, err := run(lo)
		if err != nil {
			return res, err
		}
		res.Confirmed = ok
	}
	return res, nil
}
