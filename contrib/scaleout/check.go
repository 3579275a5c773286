package scaleout

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// KindStats summarizes the requests of one kind.
type KindStats struct {
	Count, Failed int
	P50, P99      time.Duration
}

// WindowStats is what happened during one fault window (plus Config.Grace).
type WindowStats struct {
	Window
	Requests, Failed int
	// Recovery is from the injection to the last failed request of the
	// window (0: none failed).
	Recovery time.Duration
	// Reasons count the failures by status or error.
	Reasons map[string]int
}

// Report is the judgement of a run.
type Report struct {
	RunID             string
	Duration          time.Duration
	Requests, Dropped int
	// Rate is the requests answered per second.
	Rate  float64
	Kinds map[string]KindStats
	// Outside are the requests outside every fault window.
	Outside   KindStats
	ErrorRate float64 // failed/requests outside the windows
	Windows   []WindowStats
	// Writes: Committed got a 201; Unknown got no answer or a 5xx (either
	// outcome is allowed, once at most); Lost were committed but are not in
	// the database, Duplicated are there more than once, Phantom were
	// refused (4xx) yet are there.
	Committed, Unknown, UnknownStored int
	Lost, Duplicated, Phantom         []string
	// Subscribers: each one's received and missed "created" events, the
	// missed ones of writes made while it was connected and outside fault
	// windows (ReallyMissed) told apart.
	Subscribers []SubscriberStats
	// SpoofedIPSeen counts access-log lines whose client IP is the address
	// the harness forged in X-Forwarded-For (must be 0: only the proxy is
	// trusted); ForwardedIPSeen those with the harness's real 127.0.0.x.
	SpoofedIPSeen, ForwardedIPSeen int
	// Problems are the violated invariants; empty when the run passed.
	Problems []string
}

// SubscriberStats is one subscriber's account.
type SubscriberStats struct {
	Kind                           string
	Connects                       int
	Received, Missed, ReallyMissed int
}

// Bounds are the limits Check holds a run to.
type Bounds struct {
	// MaxErrorRate outside fault windows (default 0.001; 1: not checked).
	MaxErrorRate float64
	// MaxWindowFailRate per fault window (default 0.01; <0: not checked).
	MaxWindowFailRate float64
	// Recovery per fault kind, after the fault's action ended (defaults:
	// kill 5 s, Redis restart 10 s; other kinds are not checked).
	Recovery map[string]time.Duration
	// RollingFailures allowed in a rolling restart (default 0; <0: not checked).
	RollingFailures int
}

// Check judges a run against the database and the instances' logs.
func Check(ctx context.Context, t *Topology, res *Result, b Bounds) (*Report, error) {
	if b.MaxErrorRate == 0 {
		b.MaxErrorRate = 0.001
	}
	if b.MaxWindowFailRate == 0 {
		b.MaxWindowFailRate = 0.01
	}
	rec := map[string]time.Duration{FaultKill: 5 * time.Second, FaultRedisRestart: 10 * time.Second}
	for k, v := range b.Recovery {
		rec[k] = v
	}
	r := &Report{RunID: res.RunID, Duration: res.End.Sub(res.Start), Requests: len(res.Records), Dropped: int(res.Dropped),
		Kinds: map[string]KindStats{}}
	r.Rate = float64(r.Requests) / r.Duration.Seconds()
	grace := res.Config.Grace
	inWindow := func(at time.Time) int {
		for i, w := range res.Windows {
			if !at.Before(w.From) && at.Before(w.To.Add(grace)) {
				return i
			}
		}
		return -1
	}
	byKind := map[string][]time.Duration{}
	var outside []time.Duration
	r.Windows = make([]WindowStats, len(res.Windows))
	for i, w := range res.Windows {
		r.Windows[i].Window = w
		if w.Err != "" {
			r.Problems = append(r.Problems, fmt.Sprintf("fault %s at %s was not injected: %s", w.Kind, w.At, w.Err))
		}
	}
	for _, x := range res.Records {
		ks := r.Kinds[x.Kind]
		ks.Count++
		byKind[x.Kind] = append(byKind[x.Kind], x.Took)
		if x.Failed() {
			ks.Failed++
		}
		r.Kinds[x.Kind] = ks
		// A request belongs to the window it was sent or answered in.
		wi := inWindow(x.Start)
		if wi < 0 {
			wi = inWindow(x.Start.Add(x.Took))
		}
		if wi < 0 {
			r.Outside.Count++
			outside = append(outside, x.Took)
			if x.Failed() {
				r.Outside.Failed++
			}
			continue
		}
		ws := &r.Windows[wi]
		ws.Requests++
		if x.Failed() {
			ws.Failed++
			if ws.Reasons == nil {
				ws.Reasons = map[string]int{}
			}
			ws.Reasons[x.reason()]++
			if d := x.Start.Add(x.Took).Sub(ws.From); d > ws.Recovery {
				ws.Recovery = d
			}
		}
	}
	for k, ds := range byKind {
		ks := r.Kinds[k]
		ks.P50, ks.P99 = pct(ds, 50), pct(ds, 99)
		r.Kinds[k] = ks
	}
	r.Outside.P50, r.Outside.P99 = pct(outside, 50), pct(outside, 99)
	if r.Outside.Count > 0 {
		r.ErrorRate = float64(r.Outside.Failed) / float64(r.Outside.Count)
	}
	if r.ErrorRate > b.MaxErrorRate {
		r.Problems = append(r.Problems, fmt.Sprintf("error rate outside fault windows %.3f%% > %.3f%% (%d of %d)",
			100*r.ErrorRate, 100*b.MaxErrorRate, r.Outside.Failed, r.Outside.Count))
	}
	for _, ws := range r.Windows {
		if ws.Kind == FaultRolling {
			if b.RollingFailures >= 0 && ws.Failed > b.RollingFailures {
				r.Problems = append(r.Problems, fmt.Sprintf("rolling restart: %d failed requests (allowed %d)", ws.Failed, b.RollingFailures))
			}
			continue
		}
		if b.MaxWindowFailRate > 0 && ws.Requests > 0 && float64(ws.Failed)/float64(ws.Requests) > b.MaxWindowFailRate {
			r.Problems = append(r.Problems, fmt.Sprintf("fault %s at %s: %d of %d requests failed (> %.1f%%)",
				ws.Kind, ws.At, ws.Failed, ws.Requests, 100*b.MaxWindowFailRate))
		}
		if bound, ok := rec[ws.Kind]; ok && ws.Recovery > ws.To.Sub(ws.From)+bound {
			r.Problems = append(r.Problems, fmt.Sprintf("fault %s at %s: failures until %s after the injection (bound: the fault's %s + %s)",
				ws.Kind, ws.At, ws.Recovery.Round(time.Millisecond), ws.To.Sub(ws.From).Round(time.Millisecond), bound))
		}
	}
	if err := r.checkWrites(ctx, t, res); err != nil {
		return nil, err
	}
	r.checkSubscribers(res, inWindow)
	r.checkLogs(t)
	return r, nil
}

// checkWrites compares the creates' answers with the tasks table.
func (r *Report) checkWrites(ctx context.Context, t *Topology, res *Result) error {
	out, err := t.SQL(ctx, "SELECT title, count(*) FROM tasks WHERE title LIKE '"+res.RunID+"-%' GROUP BY title")
	if err != nil {
		return err
	}
	stored := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		title, n, ok := strings.Cut(line, "|")
		if ok {
			stored[title], _ = strconv.Atoi(n)
		}
	}
	for _, x := range res.Records {
		if x.Kind != KindCreate {
			continue
		}
		n := stored[x.Title]
		switch {
		case x.Status == 201:
			r.Committed++
			if n == 0 {
				r.Lost = append(r.Lost, x.Title)
			}
		case x.Failed():
			r.Unknown++
			if n > 0 {
				r.UnknownStored++
			}
		default:
			if n > 0 {
				r.Phantom = append(r.Phantom, x.Title)
			}
		}
		if n > 1 {
			r.Duplicated = append(r.Duplicated, x.Title)
		}
	}
	if len(r.Lost) > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d committed writes lost: %v", len(r.Lost), first(r.Lost)))
	}
	if len(r.Duplicated) > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d writes stored twice: %v", len(r.Duplicated), first(r.Duplicated)))
	}
	if len(r.Phantom) > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d refused writes stored anyway: %v", len(r.Phantom), first(r.Phantom)))
	}
	if r.Committed == 0 {
		r.Problems = append(r.Problems, "no write was committed")
	}
	return nil
}

// checkSubscribers counts the "created" events each subscriber missed.
func (r *Report) checkSubscribers(res *Result, inWindow func(time.Time) int) {
	for _, s := range res.Subscribers {
		st := SubscriberStats{Kind: s.Kind, Connects: s.Connects, Received: len(s.Titles)}
		for _, x := range res.Records {
			if x.Kind != KindCreate || x.Status != 201 || s.Titles[x.Title] {
				continue
			}
			st.Missed++
			end := x.Start.Add(x.Took)
			if inWindow(x.Start) >= 0 || inWindow(end) >= 0 {
				continue
			}
			gap := false
			for _, g := range s.Gaps {
				// A write near a reconnection: its event may have gone to
				// the connection that ended.
				if end.After(g[0].Add(-time.Second)) && x.Start.Before(g[1].Add(time.Second)) {
					gap = true
				}
			}
			if !gap {
				st.ReallyMissed++
			}
		}
		r.Subscribers = append(r.Subscribers, st)
		if st.Received == 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("%s subscriber received no event", s.Kind))
		}
	}
}

// checkLogs reads the instances' access logs for the client addresses.
func (r *Report) checkLogs(t *Topology) {
	// The instances write their logs in batches, every 100 ms: the last
	// requests' lines are in the files after that.
	time.Sleep(300 * time.Millisecond)
	files, _ := filepath.Glob(filepath.Join(t.Dir, "instance-*.log"))
	for _, f := range files {
		fh, err := os.Open(f) // #nosec G304 -- the harness reads its own instances' logs, found by a glob in its own directory
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(fh)
		fh.Close()
		s := string(b)
		r.SpoofedIPSeen += strings.Count(s, `"remote_ip":"203.0.113.7"`)
		for i := 10; i < 30; i++ {
			r.ForwardedIPSeen += strings.Count(s, `"remote_ip":"127.0.0.`+strconv.Itoa(i)+`"`)
		}
	}
	if r.SpoofedIPSeen > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d requests logged with the forged X-Forwarded-For address", r.SpoofedIPSeen))
	}
	if r.ForwardedIPSeen == 0 {
		r.Problems = append(r.Problems, "no request logged with the client's real address (X-Forwarded-For from the proxy)")
	}
}

// reason is a failure's status or error, without the request's details.
func (x Record) reason() string {
	if x.Status != 0 {
		return x.Kind + " " + strconv.Itoa(x.Status) + " " + x.Err
	}
	e := x.Err
	if i := strings.LastIndex(e, ": "); i >= 0 {
		e = e[i+2:]
	}
	return x.Kind + " " + e
}

func first(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

// pct returns the p-th percentile of ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

// Print writes the report as text.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "run %s: %d requests in %s (%.1f/s answered), %d not sent (in-flight bound)\n",
		r.RunID, r.Requests, r.Duration.Round(time.Millisecond), r.Rate, r.Dropped)
	kinds := make([]string, 0, len(r.Kinds))
	for k := range r.Kinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		ks := r.Kinds[k]
		fmt.Fprintf(w, "  %-7s %6d requests, %4d failed, p50 %s, p99 %s\n", k, ks.Count, ks.Failed, ks.P50.Round(time.Microsecond*100), ks.P99.Round(time.Microsecond*100))
	}
	fmt.Fprintf(w, "outside fault windows: %d requests, %d failed (%.3f%%), p50 %s, p99 %s\n",
		r.Outside.Count, r.Outside.Failed, 100*r.ErrorRate, r.Outside.P50.Round(time.Microsecond*100), r.Outside.P99.Round(time.Microsecond*100))
	for _, ws := range r.Windows {
		fmt.Fprintf(w, "fault %-13s at %5s: took %s; %d requests in window+grace, %d failed; last failure %s after injection\n",
			ws.Kind, ws.At, ws.To.Sub(ws.From).Round(time.Millisecond), ws.Requests, ws.Failed, ws.Recovery.Round(time.Millisecond))
		for reason, n := range ws.Reasons {
			fmt.Fprintf(w, "    %4d × %s\n", n, reason)
		}
	}
	fmt.Fprintf(w, "writes: %d committed, %d lost, %d duplicated, %d refused-but-stored; %d unanswered (%d of them stored)\n",
		r.Committed, len(r.Lost), len(r.Duplicated), len(r.Phantom), r.Unknown, r.UnknownStored)
	for _, s := range r.Subscribers {
		fmt.Fprintf(w, "subscriber %-3s: %d connections, %d events, %d missed (%d outside fault windows and reconnections)\n",
			s.Kind, s.Connects, s.Received, s.Missed, s.ReallyMissed)
	}
	fmt.Fprintf(w, "client address: %d log lines with the real 127.0.0.x, %d with the forged one\n", r.ForwardedIPSeen, r.SpoofedIPSeen)
	if len(r.Problems) == 0 {
		fmt.Fprintln(w, "PASS: every invariant held")
		return
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, "FAIL:", p)
	}
}
