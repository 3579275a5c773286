package otel

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"unsafe"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// randomTraceparent returns a traceparent header: absent, malformed, or
// valid with the sampled flag set or not (and other flag bits), sometimes
// with a tracestate.
func randomTraceparent(rng *rand.Rand) http.Header {
	h := http.Header{}
	hexOf := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return hex.EncodeToString(b)
	}
	switch rng.IntN(6) {
	case 0:
		return h // a new root
	case 1:
		h.Set("Traceparent", "00-"+hexOf(16)+"-"+hexOf(8)) // malformed: a new root
	case 2:
		h.Set("Traceparent", "00-00000000000000000000000000000000-"+hexOf(8)+"-01") // invalid trace ID
	default:
		flags := byte(rng.IntN(2)) // version 00 takes flags 00 and 01 only
		if rng.IntN(4) == 0 {
			flags = byte(rng.IntN(256))
		}
		h.Set("Traceparent", fmt.Sprintf("00-%s-%s-%02x", hexOf(16), hexOf(8), flags))
	}
	if rng.IntN(3) == 0 {
		h.Set("Tracestate", "vendor=v"+hexOf(2))
	}
	return h
}

// TestPresampleMatchesSDK is the differential test of the presampler: for
// random traceparent headers and trace IDs, under every sampler the plugin
// recognises, its decision is the SDK sampler's.
func TestPresampleMatchesSDK(t *testing.T) {
	prop := propagation.TraceContext{}
	rng := rand.New(rand.NewPCG(18, 2026))
	var samplers []sdktrace.Sampler
	for _, r := range []float64{-1, 0, 1e-9, 0.001, 0.1, 0.25, 1.0 / 3, 0.5, 0.9, 0.999999, 1, 2} {
		samplers = append(samplers, sdktrace.TraceIDRatioBased(r), sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)))
	}
	samplers = append(samplers,
		sdktrace.AlwaysSample(), sdktrace.NeverSample(),
		sdktrace.ParentBased(sdktrace.AlwaysSample()), sdktrace.ParentBased(sdktrace.NeverSample()))
	for _, s := range samplers {
		ps := recognise(s)
		if ps == nil {
			t.Fatalf("%s not recognised", s.Description())
		}
		var decisions [2]int
		for range 3000 {
			ctx := prop.Extract(context.Background(), propagation.HeaderCarrier(randomTraceparent(rng)))
			psc := trace.SpanContextFromContext(ctx)
			tid := psc.TraceID()
			if !tid.IsValid() {
				tid = newTraceID()
			}
			want := s.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx, TraceID: tid, Name: "GET /x", Kind: trace.SpanKindServer}).Decision == sdktrace.RecordAndSample
			got := ps.decide(psc, tid)
			if got != want {
				t.Fatalf("%s, parent %v, trace %s: presampled %v, SDK %v", s.Description(), psc, tid, got, want)
			}
			if got {
				decisions[1]++
			} else {
				decisions[0]++
			}
		}
		t.Logf("%s: %d dropped, %d sampled", s.Description(), decisions[0], decisions[1])
	}
}

type lookalike struct{ desc string }

func (l lookalike) ShouldSample(sdktrace.SamplingParameters) sdktrace.SamplingResult {
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
}
func (l lookalike) Description() string { return l.desc }

// TestRecogniseOnlyStandardSamplers: samplers the plugin cannot mirror
// exactly go through tracer.Start.
func TestRecogniseOnlyStandardSamplers(t *testing.T) {
	for _, s := range []sdktrace.Sampler{
		nil,
		lookalike{"AlwaysOffSampler"}, // same description, not the SDK's
		lookalike{sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.5)).Description()},
		sdktrace.ParentBased(sdktrace.NeverSample(), sdktrace.WithRemoteParentSampled(sdktrace.NeverSample())),
		sdktrace.ParentBased(sdktrace.AlwaysSample(), sdktrace.WithRemoteParentNotSampled(sdktrace.AlwaysSample())),
		sdktrace.ParentBased(lookalike{"AlwaysOnSampler"}),
		sdktrace.AlwaysRecord(sdktrace.NeverSample()),
	} {
		if ps := recognise(s); ps != nil {
			t.Errorf("%v recognised as %+v", s, *ps)
		}
	}
}

// TestIDGenerator: the trace ID handed over is used once, for the new root
// started under presetCtx only.
func TestIDGenerator(t *testing.T) {
	tid := newTraceID()
	g := idGenerator{}
	got, sid := g.NewIDs(&presetCtx{Context: context.Background(), tid: tid})
	if got != tid || !sid.IsValid() {
		t.Fatalf("NewIDs under presetCtx = %s, %s; want %s", got, sid, tid)
	}
	other, _ := g.NewIDs(context.Background())
	if other == tid || !other.IsValid() {
		t.Fatalf("NewIDs without presetCtx = %s", other)
	}
}

// TestDroppedContext: the key of the trace package's span was found, so
// a dropped request's context and span take one allocation, and the
// context answers as trace.ContextWithSpan's does.
func TestDroppedContext(t *testing.T) {
	if spanKey == nil {
		t.Fatal("the trace package's span key was not found: dropped requests fall back to two allocations")
	}
	ps := recognise(sdktrace.NeverSample())
	ctx, span, sampled := presample(context.Background(), ps, nil)
	if sampled || trace.SpanFromContext(ctx) != span || !trace.SpanContextFromContext(ctx).IsValid() || trace.SpanContextFromContext(ctx).IsSampled() {
		t.Fatalf("dropped: sampled %v, span %v, in context %v", sampled, span, trace.SpanFromContext(ctx))
	}
	// A span set on top of it wins, as with nested ContextWithSpan.
	inner := trace.ContextWithSpanContext(ctx, trace.SpanContext{})
	if trace.SpanFromContext(inner) == span {
		t.Fatal("the outer dropped span shadows the inner one")
	}
	// The slab fills its 4 KiB size class.
	if size := unsafe.Sizeof(droppedCtx{}); size*dropSlabSize > 4096 || size*(dropSlabSize+1) <= 4096 {
		t.Errorf("a slab of %d contexts of %d bytes does not fill 4 KiB", dropSlabSize, size)
	}
	if raceEnabled {
		return // the pool drops generators at random
	}
	// One slab per dropSlabSize requests.
	allocs := testing.AllocsPerRun(100, func() {
		for range dropSlabSize {
			_, _, _ = presample(context.Background(), ps, nil)
		}
	})
	if allocs != 1 {
		t.Fatalf("%v allocations per %d dropped requests, want 1", allocs, dropSlabSize)
	}
}

// TestDroppedSlotsNotReused: dropped requests on many goroutines get
// contexts of their own that keep their span contexts after later
// requests (a slot is never handed out twice), with distinct random IDs:
// new trace IDs for roots, the caller's trace ID, flags and trace state
// for requests with a parent.
func TestDroppedSlotsNotReused(t *testing.T) {
	ps := recognise(sdktrace.ParentBased(sdktrace.NeverSample()))
	ts, err := trace.ParseTraceState("k=v")
	if err != nil {
		t.Fatal(err)
	}
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3},
		SpanID:     trace.SpanID{4, 5},
		TraceFlags: 0x02, // an unknown flag, not sampled
		TraceState: ts,
		Remote:     true,
	})
	const goroutines, each = 8, 500 // many slabs each
	type got struct {
		ctx  context.Context
		span trace.Span
		sc   trace.SpanContext
	}
	results := make([][]got, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				parent := context.Background()
				if j%2 == 1 {
					parent = trace.ContextWithRemoteSpanContext(parent, remote)
				}
				ctx, span, sampled := presample(parent, ps, nil)
				if sampled {
					t.Error("sampled under ParentBased(NeverSample)")
					return
				}
				results[i] = append(results[i], got{ctx, span, span.SpanContext()})
			}
		}()
	}
	wg.Wait()
	spans := map[trace.Span]bool{}
	traceIDs := map[trace.TraceID]bool{}
	spanIDs := map[trace.SpanID]bool{}
	for _, rs := range results {
		for j, r := range rs {
			if spans[r.span] {
				t.Fatal("a span handed out twice")
			}
			spans[r.span] = true
			sc := trace.SpanContextFromContext(r.ctx)
			if !sc.Equal(r.sc) || trace.SpanFromContext(r.ctx) != r.span {
				t.Fatalf("request %d: the context holds %v now, %v when made", j, sc, r.sc)
			}
			if !sc.IsValid() || sc.IsSampled() || sc.IsRemote() {
				t.Fatalf("request %d: span context %v", j, sc)
			}
			if spanIDs[sc.SpanID()] {
				t.Fatalf("span ID %v drawn twice", sc.SpanID())
			}
			spanIDs[sc.SpanID()] = true
			if j%2 == 1 {
				if sc.TraceID() != remote.TraceID() || sc.TraceFlags() != 0x02 || sc.TraceState().String() != "k=v" {
					t.Fatalf("request %d under a remote parent: %v", j, sc)
				}
				continue
			}
			if traceIDs[sc.TraceID()] || sc.TraceFlags() != 0 || sc.TraceState().Len() != 0 {
				t.Fatalf("new root %d: %v (trace ID seen before: %v)", j, sc, traceIDs[sc.TraceID()])
			}
			traceIDs[sc.TraceID()] = true
		}
	}
}

// TestEnvSampler: the samplers OTEL_TRACES_SAMPLER and _ARG name, as the
// SDK's sampler_env.go builds them (compared by their specified
// descriptions); what the SDK rejects or corrects is left to it (nil).
func TestEnvSampler(t *testing.T) {
	for _, tc := range []struct{ name, arg, want string }{
		{"", "", ""},
		{"always_on", "", "AlwaysOnSampler"},
		{" Always_Off ", "0.5", "AlwaysOffSampler"},
		{"traceidratio", "", "TraceIDRatioBased{1}"},
		{"traceidratio", " 0.25 ", "TraceIDRatioBased{0.25}"},
		{"traceidratio", "0", "TraceIDRatioBased{0}"},
		{"traceidratio", "1.5", ""},
		{"traceidratio", "-0.1", ""},
		{"traceidratio", "half", ""},
		{"parentbased_always_on", "", "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{"parentbased_always_off", "", "ParentBased{root:AlwaysOffSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{"parentbased_traceidratio", "0.1", "ParentBased{root:TraceIDRatioBased{0.1},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{"parentbased_traceidratio", "2", ""},
		{"jaeger_remote", "", ""},
	} {
		t.Setenv("OTEL_TRACES_SAMPLER", tc.name)
		t.Setenv("OTEL_TRACES_SAMPLER_ARG", tc.arg)
		s := envSampler()
		got := ""
		if s != nil {
			got = s.Description()
			if recognise(s) == nil {
				t.Errorf("%q %q: %s not presampled", tc.name, tc.arg, got)
			}
		}
		if got != tc.want {
			t.Errorf("%q %q: %q, want %q", tc.name, tc.arg, got, tc.want)
		}
	}
}
