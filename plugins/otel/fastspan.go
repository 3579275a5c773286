package otel

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// The fast path (README, "Sampled spans without the SDK"): a sampled
// request's server span is a fastSpan, which records what the SDK's
// recording span records, with the SDK's default limits and semantics, and
// at End appends itself as an OTLP protobuf Span to the fast exporter's
// batch (fastexport.go). The SDK's span, its snapshot, the batch span
// processor's queue and the OTLP exporter's transform into proto messages
// and their encoding are what a sampled request spends most of its tracing
// cost on (README, "Cost"); this is why it is hand-written.
// TestFastPathMatchesSDK decodes what both send and compares them.
//
// What the fast span does not record itself (links, slice and map
// attribute values, which the SDK normalises) makes it hand the span to the
// SDK: delegate starts an SDK span with the same IDs, start time and
// parent, replays what was recorded, and forwards every later call.

// Default span limits of the SDK (sdk/trace.SpanLimits); the fast path is
// off when an OTEL_SPAN_*/OTEL_EVENT_*/OTEL_LINK_* variable changes them.
const (
	fastAttrLimit      = 128
	fastEventLimit     = 128
	fastEventAttrLimit = 128
)

type fastEvent struct {
	name    string
	time    time.Time
	attrs   []attribute.KeyValue
	dropped int
}

// fastSpan is a recording server span of the fast path.
type fastSpan struct {
	embedded.Span
	fx     *fastExporter
	sc     trace.SpanContext
	parent trace.SpanContext

	mu            sync.Mutex
	ended         bool
	name          string
	start         time.Time
	attrs         []attribute.KeyValue
	dirty         bool // attrs may hold duplicate keys
	droppedAttrs  int
	events        []fastEvent
	droppedEvents int
	status        codes.Code
	desc          string
	sdk           trace.Span // the SDK span it was handed to, or nil

	inline [16]attribute.KeyValue // attrs' first backing array
}

// fastCtx is the request's context holding its fast span: one allocation
// for both (see droppedCtx).
type fastCtx struct {
	context.Context
	span fastSpan
}

func (c *fastCtx) Value(key any) any {
	if key == spanKey {
		return &c.span
	}
	return c.Context.Value(key)
}

// startFast starts the server span of a sampled request under parent
// context ctx; sctx is the context presample returned (a presetCtx with
// the trace ID a new root was sampled on, or ctx). It returns the
// handler's context.
func (fx *fastExporter) startFast(ctx, sctx context.Context, name string) (context.Context, *fastSpan) {
	psc := trace.SpanContextFromContext(ctx)
	var tid trace.TraceID
	switch {
	case psc.TraceID().IsValid():
		tid = psc.TraceID()
	default:
		if pc, ok := sctx.(*presetCtx); ok {
			tid = pc.tid
		} else {
			tid = newTraceID()
		}
	}
	// The standard samplers return the parent's trace state.
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    tid,
		SpanID:     newSpanID(),
		TraceFlags: psc.TraceFlags() | trace.FlagsSampled,
		TraceState: psc.TraceState(),
	})
	var s *fastSpan
	var out context.Context
	if spanKey != nil {
		fc := &fastCtx{Context: ctx}
		s, out = &fc.span, fc
	} else {
		s = &fastSpan{}
		out = trace.ContextWithSpan(ctx, s)
	}
	s.fx, s.sc, s.parent, s.name = fx, sc, psc, name
	s.attrs = s.inline[:0]
	s.start = time.Now()
	return out, s
}

func (s *fastSpan) SpanContext() trace.SpanContext { return s.sc }

func (s *fastSpan) TracerProvider() trace.TracerProvider { return s.fx.tp }

func (s *fastSpan) IsRecording() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sdk != nil {
		return s.sdk.IsRecording()
	}
	return !s.ended
}

func (s *fastSpan) SetName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sdk != nil {
		s.sdk.SetName(name)
	} else if !s.ended {
		s.name = name
	}
}

// SetStatus keeps the highest code (Unset < Error < Ok) and the
// description of an Error, as the SDK does.
func (s *fastSpan) SetStatus(code codes.Code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sdk != nil {
		s.sdk.SetStatus(code, description)
		return
	}
	if s.ended || s.status > code {
		return
	}
	s.status, s.desc = code, ""
	if code == codes.Error {
		s.desc = description
	}
}

// complexValue reports whether v is a value the SDK normalises (slices of
// values and maps), which the fast span leaves to it.
func complexValue(v attribute.Value) bool {
	t := v.Type()
	return t == attribute.SLICE || t == attribute.MAP
}

func (s *fastSpan) SetAttributes(kv ...attribute.KeyValue) {
	if len(kv) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sdk == nil && !s.ended {
		for _, a := range kv {
			if complexValue(a.Value) {
				s.delegate()
				break
			}
		}
	}
	if s.sdk != nil {
		s.sdk.SetAttributes(kv...)
		return
	}
	if s.ended {
		return
	}
	if len(s.attrs)+len(kv) > fastAttrLimit {
		s.addOverCap(kv)
		return
	}
	for _, a := range kv {
		if !a.Valid() {
			s.droppedAttrs++
			continue
		}
		s.attrs = append(s.attrs, a)
		s.dirty = true
	}
}

// setDistinct is SetAttributes for the plugin's own end attributes, whose
// keys are distinct and values scalar: on a span without attributes yet
// they need neither the checks nor the de-duplication at End.
func (s *fastSpan) setDistinct(kv []attribute.KeyValue) {
	s.mu.Lock()
	if s.sdk != nil || s.ended || len(s.attrs) > 0 || s.droppedAttrs > 0 || len(kv) > fastAttrLimit {
		s.mu.Unlock()
		s.SetAttributes(kv...)
		return
	}
	s.attrs = append(s.attrs, kv...)
	s.mu.Unlock()
}

// dedupe keeps each key once, at its first position, with its last value
// (the SDK's dedupeAttrsFromRecord).
func (s *fastSpan) dedupe() {
	if !s.dirty {
		return
	}
	s.dirty = false
	if len(s.attrs) <= 24 {
		unique := s.attrs[:0]
	next:
		for _, a := range s.attrs {
			for i := range unique {
				if unique[i].Key == a.Key {
					unique[i] = a
					continue next
				}
			}
			unique = append(unique, a)
		}
		clear(s.attrs[len(unique):])
		s.attrs = unique
		return
	}
	record := make(map[attribute.Key]int, len(s.attrs))
	s.dedupeRecord(record)
}

func (s *fastSpan) dedupeRecord(record map[attribute.Key]int) {
	unique := s.attrs[:0]
	for _, a := range s.attrs {
		if i, ok := record[a.Key]; ok {
			unique[i] = a
		} else {
			unique = append(unique, a)
			record[a.Key] = len(unique) - 1
		}
	}
	clear(s.attrs[len(unique):])
	s.attrs = unique
	s.dirty = false
}

// addOverCap is the SDK's addOverCapAttrs: updates of existing keys are
// kept, new keys past the limit dropped and counted.
func (s *fastSpan) addOverCap(kv []attribute.KeyValue) {
	record := make(map[attribute.Key]int, len(s.attrs))
	s.dedupeRecord(record)
	for _, a := range kv {
		if !a.Valid() {
			s.droppedAttrs++
			continue
		}
		if i, ok := record[a.Key]; ok {
			s.attrs[i] = a
			continue
		}
		if len(s.attrs) >= fastAttrLimit {
			s.droppedAttrs++
			continue
		}
		s.attrs = append(s.attrs, a)
		record[a.Key] = len(s.attrs) - 1
	}
}

func (s *fastSpan) AddEvent(name string, opts ...trace.EventOption) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addEvent(name, opts)
}

// addEvent records an event; s.mu is held.
func (s *fastSpan) addEvent(name string, opts []trace.EventOption) {
	if s.sdk != nil {
		s.sdk.AddEvent(name, opts...)
		return
	}
	if s.ended {
		return
	}
	c := trace.NewEventConfig(opts...)
	attrs := c.Attributes()
	for _, a := range attrs {
		if complexValue(a.Value) {
			s.delegate()
			s.sdk.AddEvent(name, opts...)
			return
		}
	}
	e := fastEvent{name: name, time: c.Timestamp(), attrs: attrs}
	if len(e.attrs) > fastEventAttrLimit {
		e.dropped = len(e.attrs) - fastEventAttrLimit
		e.attrs = e.attrs[:fastEventAttrLimit]
	}
	if len(s.events) == fastEventLimit {
		copy(s.events, s.events[1:])
		s.events = s.events[:fastEventLimit-1]
		s.droppedEvents++
	}
	s.events = append(s.events, e)
}

// RecordError adds the exception event the SDK's RecordError adds.
func (s *fastSpan) RecordError(err error, opts ...trace.EventOption) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sdk != nil {
		s.sdk.RecordError(err, opts...)
		return
	}
	if s.ended {
		return
	}
	opts = append(opts, trace.WithAttributes(
		semconv.ExceptionType(typeStr(err)),
		semconv.ExceptionMessage(err.Error()),
	))
	if c := trace.NewEventConfig(opts...); c.StackTrace() {
		opts = append(opts, trace.WithAttributes(semconv.ExceptionStacktrace(recordStackTrace())))
	}
	s.addEvent(semconv.ExceptionEventName, opts)
}

// typeStr and recordStackTrace are the SDK's.
func typeStr(i any) string {
	t := reflect.TypeOf(i)
	if t.PkgPath() == "" && t.Name() == "" {
		return t.String()
	}
	return fmt.Sprintf("%s.%s", t.PkgPath(), t.Name())
}

func recordStackTrace() string {
	st := make([]byte, 2048)
	n := runtime.Stack(st, false)
	return string(st[:n])
}

func (s *fastSpan) AddLink(link trace.Link) {
	if !link.SpanContext.IsValid() && len(link.Attributes) == 0 && link.SpanContext.TraceState().Len() == 0 {
		return // the SDK ignores it
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sdk == nil && !s.ended {
		s.delegate()
	}
	if s.sdk != nil {
		s.sdk.AddLink(link)
	}
}

// End ends the span and appends it to the exporter's batch. The options
// the SDK supports are WithTimestamp and WithStackTrace (the latter only
// for a panic End recovers, which the plugin's own span never sees: the
// middleware recovers first).
func (s *fastSpan) End(opts ...trace.SpanEndOption) {
	end := s.start.Add(time.Since(s.start))
	s.mu.Lock()
	if s.sdk != nil {
		sdk := s.sdk
		s.mu.Unlock()
		sdk.End(opts...)
		return
	}
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	if len(opts) > 0 {
		if c := trace.NewSpanEndConfig(opts...); !c.Timestamp().IsZero() {
			end = c.Timestamp()
		}
	}
	s.dedupe()
	s.fx.export(s, end)
	s.mu.Unlock()
}

// delegate hands the span to the SDK: an SDK span with the same IDs
// (through the provider's ID generator), parent, name, kind and start
// time, given what was recorded so far. s.mu is held.
func (s *fastSpan) delegate() {
	ctx := context.Background()
	if s.parent.IsValid() {
		ctx = trace.ContextWithSpanContext(ctx, s.parent)
	}
	ctx = &presetCtx{Context: ctx, tid: s.sc.TraceID(), sid: s.sc.SpanID()}
	_, sp := s.fx.tracer.Start(ctx, s.name, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(s.start))
	if len(s.attrs) > 0 {
		sp.SetAttributes(s.attrs...)
	}
	if s.droppedAttrs > 0 {
		// Invalid attributes: the SDK counts each as dropped.
		sp.SetAttributes(make([]attribute.KeyValue, s.droppedAttrs)...)
	}
	for _, e := range s.events {
		sp.AddEvent(e.name, trace.WithTimestamp(e.time), trace.WithAttributes(e.attrs...))
	}
	if s.status != codes.Unset {
		sp.SetStatus(s.status, s.desc)
	}
	s.sdk = sp
	s.attrs, s.events = nil, nil
}
