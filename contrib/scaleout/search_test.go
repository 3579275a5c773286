package scaleout

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// kneeProber meets every rate up to knee and fails above it, recording
// the rates probed.
func kneeProber(knee float64, rates *[]float64) Prober {
	return func(_ context.Context, rate float64) (Probe, error) {
		*rates = append(*rates, rate)
		return Probe{OK: rate <= knee}, nil
	}
}

func TestSearch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		knee       float64
		opts       SearchOptions
		wantRate   float64
		wantAbove  float64
		wantProbes []float64 // nil: not checked
		precise    bool
	}{
		{name: "knee between 400 and 800", knee: 600, opts: SearchOptions{Start: 400},
			wantRate: 600, wantAbove: 625, wantProbes: []float64{400, 800, 600, 700, 650, 625, 600}, precise: true},
		{name: "knee below the start", knee: 130, opts: SearchOptions{Start: 400},
			wantRate: 129, wantAbove: 132, wantProbes: []float64{400, 200, 100, 150, 125, 138, 132, 129, 129}, precise: true},
		{name: "knee above the start", knee: 1300, opts: SearchOptions{Start: 400},
			wantRate: 1300, wantAbove: 1350, precise: true},
		{name: "nothing met", knee: 10, opts: SearchOptions{Start: 400, Min: 50},
			wantRate: 0, wantAbove: 50, wantProbes: []float64{400, 200, 100, 50}, precise: true},
		{name: "everything met", knee: 1e9, opts: SearchOptions{Start: 400, Max: 1000},
			wantRate: 1000, wantAbove: 0, wantProbes: []float64{400, 800, 1000, 1000}, precise: true},
		{name: "probe budget runs out", knee: 600, opts: SearchOptions{Start: 400, MaxProbes: 3},
			wantRate: 600, wantAbove: 800, wantProbes: []float64{400, 800, 600, 600}, precise: false},
		{name: "tight tolerance stops at whole rates", knee: 603, opts: SearchOptions{Start: 400, Tolerance: 1e-9, MaxProbes: 64},
			wantRate: 603, wantAbove: 604, precise: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rates []float64
			res, err := Search(context.Background(), tc.opts, kneeProber(tc.knee, &rates))
			if err != nil {
				t.Fatal(err)
			}
			if res.Rate != tc.wantRate || res.Above != tc.wantAbove {
				t.Errorf("rate %v above %v, want %v above %v (probes %v)", res.Rate, res.Above, tc.wantRate, tc.wantAbove, rates)
			}
			if tc.wantProbes != nil && !slices.Equal(rates, tc.wantProbes) {
				t.Errorf("probes %v, want %v", rates, tc.wantProbes)
			}
			if res.Precise != tc.precise {
				t.Errorf("precise %v, want %v", res.Precise, tc.precise)
			}
			if res.Rate > 0 {
				if !res.Confirmed || rates[len(rates)-1] != res.Rate {
					t.Errorf("the last probe %v should confirm %v (confirmed %v)", rates[len(rates)-1], res.Rate, res.Confirmed)
				}
				if res.Above > 0 && res.Above > res.Rate*(1+0.05) && res.Precise {
					t.Errorf("precise but %v is not within 5 %% of %v", res.Above, res.Rate)
				}
			}
			if len(res.Probes) != len(rates) {
				t.Errorf("%d probes recorded, %d run", len(res.Probes), len(rates))
			}
			// Deterministic: the same outcomes give the same probes.
			var again []float64
			if _, err := Search(context.Background(), tc.opts, kneeProber(tc.knee, &again)); err != nil || !slices.Equal(again, rates) {
				t.Errorf("second search probed %v, first %v (%v)", again, rates, err)
			}
		})
	}
}

func TestSearchConfirmationFails(t *testing.T) {
	// The knee moves down after the search (a noisy machine): the
	// confirmation says so.
	calls := 0
	res, err := Search(context.Background(), SearchOptions{Start: 400}, func(_ context.Context, rate float64) (Probe, error) {
		calls++
		if calls > 6 { // the seventh probe is the confirmation
			return Probe{OK: false}, nil
		}
		return Probe{OK: rate <= 600}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rate != 600 || res.Confirmed {
		t.Errorf("rate %v confirmed %v, want 600 unconfirmed", res.Rate, res.Confirmed)
	}
}

func TestSearchError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Search(context.Background(), SearchOptions{}, func(context.Context, float64) (Probe, error) { return Probe{}, boom })
	if !errors.Is(err, boom) {
		t.Errorf("err %v, want boom", err)
	}
	if _, err := Search(context.Background(), SearchOptions{}, nil); !errors.Is(err, ErrNoProber) {
		t.Errorf("err %v, want ErrNoProber", err)
	}
}
