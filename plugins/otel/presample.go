package otel

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// The SDK's tracer.Start costs some 2,600 instructions even when its
// sampler drops the span (IDs, sampling parameters, the span context, a
// non-recording span). When the plugin builds the provider with a sampler
// it recognises (AlwaysOn, AlwaysOff, TraceIDRatioBased, or ParentBased of
// one of them with the default parent rules), it makes the same decision
// before calling Start and, for a dropped request, puts a non-recording
// span with the span context the SDK would have made (the parent's trace ID
// or a new random one, a new span ID, the parent's flags without sampled,
// the parent's tracestate) into the context itself. Only sampled requests
// reach tracer.Start. For a sampled new root under a ratio sampler, the
// trace ID the decision was made on is handed to the SDK through the
// provider's ID generator, so the SDK's own sampler sees the same ID and
// agrees (TestPresampleMatchesSDK checks the decisions against the SDK's).

// rootRule is how a presampler decides a span without a parent.
type rootRule uint8

const (
	rootOn rootRule = iota
	rootOff
	rootRatio
)

// presampler mirrors one of the SDK's standard samplers.
type presampler struct {
	parentBased bool // ParentBased with the default parent rules
	root        rootRule
	bound       uint64 // rootRatio: sampled when trace ID bits 64..126 < bound
}

// decide reports whether the SDK's sampler would sample a span whose
// parent is psc and whose trace ID is tid.
func (ps *presampler) decide(psc trace.SpanContext, tid trace.TraceID) bool {
	if ps.parentBased && psc.IsValid() {
		return psc.IsSampled()
	}
	switch ps.root {
	case rootOn:
		return true
	case rootOff:
		return false
	}
	return binary.BigEndian.Uint64(tid[8:16])>>1 < ps.bound
}

// recognise returns the presampler deciding as s does, or nil when s is
// not one of the SDK's standard samplers (then every request goes through
// tracer.Start). A sampler is recognised by its Description, which the
// specification fixes, rebuilt from the parsed parameters and compared, and
// only if its type is the SDK's.
func recognise(s sdktrace.Sampler) *presampler {
	if s == nil {
		return nil
	}
	if !sdkOnly(reflect.ValueOf(s), 0) {
		return nil
	}
	desc := s.Description()
	const pbPrefix, pbNext = "ParentBased{root:", ",remoteParentSampled:"
	if rest, ok := strings.CutPrefix(desc, pbPrefix); ok {
		i := strings.Index(rest, pbNext)
		if i < 0 {
			return nil
		}
		root, ps := rootSampler(rest[:i])
		if ps == nil || sdktrace.ParentBased(root).Description() != desc {
			return nil
		}
		ps.parentBased = true
		return ps
	}
	_, ps := rootSampler(desc)
	return ps
}

// sdkOnly reports whether v, and every sampler inside it (ParentBased's
// root and parent rules), has a type of the SDK's: a sampler of another
// package may share a standard description without its decisions.
func sdkOnly(v reflect.Value, depth int) bool {
	if depth > 4 {
		return false
	}
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return false
		}
		v = v.Elem()
	}
	if v.Type().PkgPath() != sdkPkg {
		return false
	}
	if v.Kind() == reflect.Struct {
		for i := range v.NumField() {
			f := v.Field(i)
			if f.Kind() == reflect.Interface || f.Kind() == reflect.Struct || f.Kind() == reflect.Pointer {
				if !sdkOnly(f, depth+1) {
					return false
				}
			}
		}
	}
	return true
}

var sdkPkg = reflect.TypeFor[sdktrace.SamplingResult]().PkgPath()

// rootSampler parses the description of a non-parent-based standard
// sampler.
func rootSampler(desc string) (sdktrace.Sampler, *presampler) {
	switch desc {
	case sdktrace.AlwaysSample().Description():
		return sdktrace.AlwaysSample(), &presampler{root: rootOn}
	case sdktrace.NeverSample().Description():
		return sdktrace.NeverSample(), &presampler{root: rootOff}
	}
	arg, ok := strings.CutPrefix(desc, "TraceIDRatioBased{")
	if !ok || !strings.HasSuffix(arg, "}") {
		return nil, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(arg, "}"), 64)
	if err != nil {
		return nil, nil
	}
	s := sdktrace.TraceIDRatioBased(f)
	if s.Description() != desc {
		return nil, nil
	}
	switch {
	case f >= 1:
		return s, &presampler{root: rootOn}
	case f <= 0:
		return s, &presampler{root: rootOff}
	}
	return s, &presampler{root: rootRatio, bound: uint64(f * (1 << 63))}
}

// envSampler returns the sampler OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG name, built as the SDK builds it
// (sdk/trace/sampler_env.go), or nil when they are unset or name what the
// SDK would reject or correct (unknown names, ratios it cannot parse or out
// of [0, 1]): those are left to the SDK. The plugin hands the sampler to
// the provider itself, so the SDK and the presample decide with the same one.
func envSampler() sdktrace.Sampler {
	name := strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_SAMPLER")))
	arg := strings.TrimSpace(os.Getenv("OTEL_TRACES_SAMPLER_ARG"))
	ratio := func() sdktrace.Sampler {
		if arg == "" {
			return sdktrace.TraceIDRatioBased(1)
		}
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil || v < 0 || v > 1 {
			return nil
		}
		return sdktrace.TraceIDRatioBased(v)
	}
	switch name {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return ratio()
	case "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		if r := ratio(); r != nil {
			return sdktrace.ParentBased(r)
		}
	}
	return nil
}

// newTraceID and newSpanID draw IDs as the SDK's default generator does.
func newTraceID() trace.TraceID {
	var tid trace.TraceID
	for !tid.IsValid() {
		binary.NativeEndian.PutUint64(tid[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(tid[8:], rand.Uint64())
	}
	return tid
}

func newSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.NativeEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}

// presetKey carries, in the context given to tracer.Start, the trace ID a
// new root was sampled on, and for a fast span handed to the SDK
// (fastSpan.delegate) its span ID too.
type presetKey struct{}

type presetCtx struct {
	context.Context
	tid trace.TraceID
	sid trace.SpanID
}

func (c *presetCtx) Value(key any) any {
	if key == (presetKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// idGenerator is the provider's ID generator: random IDs, except that a
// span started under presetCtx gets the IDs it holds.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if pc, ok := ctx.Value(presetKey{}).(*presetCtx); ok && pc.tid.IsValid() {
		if pc.sid.IsValid() {
			return pc.tid, pc.sid
		}
		return pc.tid, newSpanID()
	}
	return newTraceID(), newSpanID()
}

func (idGenerator) NewSpanID(ctx context.Context, tid trace.TraceID) trace.SpanID {
	if pc, ok := ctx.Value(presetKey{}).(*presetCtx); ok && pc.sid.IsValid() && pc.tid == tid {
		return pc.sid
	}
	return newSpanID()
}

// droppedSpan is the non-recording span of a request presampled out: it
// carries the span context downstream calls propagate, and, like the SDK's
// own non-recording spans, names the provider it came from.
type droppedSpan struct {
	embedded.Span
	sc trace.SpanContext
	tp trace.TracerProvider
}

func (s *droppedSpan) End(...trace.SpanEndOption)              {}
func (s *droppedSpan) AddEvent(string, ...trace.EventOption)   {}
func (s *droppedSpan) AddLink(trace.Link)                      {}
func (s *droppedSpan) IsRecording() bool                       { return false }
func (s *droppedSpan) RecordError(error, ...trace.EventOption) {}
func (s *droppedSpan) SpanContext() trace.SpanContext          { return s.sc }
func (s *droppedSpan) SetStatus(codes.Code, string)            {}
func (s *droppedSpan) SetName(string)                          {}
func (s *droppedSpan) SetAttributes(...attribute.KeyValue)     {}
func (s *droppedSpan) TracerProvider() trace.TracerProvider    { return s.tp }

// droppedCtx is the context of a request presampled out, holding its span:
// one slot of a dropGen slab where trace.ContextWithSpan and the span would
// take two allocations. It answers the trace package's span key (spanKey) with the span, as
// trace.ContextWithSpan's context does.
type droppedCtx struct {
	context.Context
	span droppedSpan
}

func (c *droppedCtx) Value(key any) any {
	if key == spanKey {
		return &c.span
	}
	return c.Context.Value(key)
}

// spanKey is the key trace.SpanFromContext looks the span up with
// (unexported by the trace package): a probe context records it. Nil if
// the lookup ever stops going through Value, and then droppedCtx is not
// used (see presample).
var spanKey = func() any {
	var p keyProbe
	trace.SpanFromContext(&p)
	if p.key == nil {
		return nil
	}
	// Check that the key is the one ContextWithSpan sets.
	ctx := trace.ContextWithSpan(context.Background(), noopSpan)
	if ctx.Value(p.key) != noopSpan {
		return nil
	}
	return p.key
}()

var noopSpan = trace.SpanFromContext(context.Background())

type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	if p.key == nil {
		p.key = key
	}
	return nil
}

// dropGen is where a dropped request's span context and context come
// from, one per P (pooled). Its IDs are drawn from a PCG generator of its
// own (math/rand/v2's: 128 bits of state, seeded from the runtime's
// ChaCha8 generator, which the OS seeds), as the SDK's default generator
// draws them from a math/rand source seeded from crypto/rand, but without
// its lock (and some 100 instructions a request cheaper than the runtime's
// generator). Its contexts come from a slab of dropSlabSize, one
// allocation per slab instead of one per request. A slot is used by one
// request only and never reused: its context may outlive the request (a
// goroutine the handler started, a log record); the garbage collector
// frees a slab once no context in it is referenced. A generator the pool
// drops (at a collection) is replaced by one seeded afresh.
type dropGen struct {
	rng  rand.PCG
	slab *[dropSlabSize]droppedCtx
	used int
}

// dropSlabSize: 36 contexts of 112 bytes fill 4,032 of a 4,096-byte
// allocation (size class); a context alive keeps at most 35 other slots'
// memory (and their parent contexts) from being freed.
const dropSlabSize = 36

var dropGens = sync.Pool{New: func() any {
	g := new(dropGen)
	g.rng.Seed(rand.Uint64(), rand.Uint64())
	return g
}}

// traceID and spanID draw random non-zero IDs, as newTraceID and
// newSpanID do.
func (g *dropGen) traceID() (tid trace.TraceID) {
	for {
		a, b := g.rng.Uint64(), g.rng.Uint64()
		if a|b != 0 {
			binary.NativeEndian.PutUint64(tid[:8], a)
			binary.NativeEndian.PutUint64(tid[8:], b)
			return tid
		}
	}
}

func (g *dropGen) spanID() (sid trace.SpanID) {
	for {
		if a := g.rng.Uint64(); a != 0 {
			binary.NativeEndian.PutUint64(sid[:], a)
			return sid
		}
	}
}

// ctx returns a fresh slot: zero, used by no other request, before or
// after.
func (g *dropGen) ctx() *droppedCtx {
	if g.slab == nil || g.used == dropSlabSize {
		g.slab = new([dropSlabSize]droppedCtx)
		g.used = 0
	}
	dc := &g.slab[g.used]
	g.used++
	return dc
}

// presample decides the request's span before the SDK: it returns ctx
// with a non-recording span and false when the sampler drops it, or the
// context to start the span with and true when it is sampled.
func presample(ctx context.Context, ps *presampler, tp trace.TracerProvider) (context.Context, trace.Span, bool) {
	var psc trace.SpanContext
	if spanKey != nil {
		// trace.SpanContextFromContext without copying the no-op span's
		// empty span context when there is no span.
		if s, ok := ctx.Value(spanKey).(trace.Span); ok {
			psc = s.SpanContext()
		}
	} else {
		psc = trace.SpanContextFromContext(ctx)
	}
	var tid trace.TraceID
	var g *dropGen
	if psc.TraceID().IsValid() {
		tid = psc.TraceID()
		if ps.decide(psc, tid) {
			return ctx, nil, true
		}
		g = dropGens.Get().(*dropGen)
	} else {
		// A new root: the parent rules do not apply.
		switch ps.root {
		case rootOn:
			return ctx, nil, true // the SDK draws the IDs; nothing to hand over
		case rootRatio:
			g = dropGens.Get().(*dropGen)
			tid = g.traceID()
			if ps.decide(psc, tid) {
				dropGens.Put(g)
				return &presetCtx{Context: ctx, tid: tid}, nil, true
			}
		default:
			g = dropGens.Get().(*dropGen)
			tid = g.traceID()
		}
	}
	cfg := trace.SpanContextConfig{
		TraceID:    tid,
		SpanID:     g.spanID(),
		TraceFlags: psc.TraceFlags() &^ trace.FlagsSampled,
		TraceState: psc.TraceState(),
	}
	if spanKey == nil {
		dropGens.Put(g)
		span := &droppedSpan{sc: trace.NewSpanContext(cfg), tp: tp}
		return trace.ContextWithSpan(ctx, span), span, false
	}
	dc := g.ctx()
	dropGens.Put(g)
	dc.Context = ctx
	dc.span.sc = trace.NewSpanContext(cfg)
	dc.span.tp = tp
	return dc, &dc.span, false
}
