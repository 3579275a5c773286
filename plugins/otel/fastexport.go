package otel

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// ExportStats counts the server spans of the fast path (README, "Sampled
// spans without the SDK"): spans a collector accepted, spans dropped
// because the queue was full or the plugin stopped, and spans of batches
// that failed (after retries).
type ExportStats struct {
	Exported uint64
	Dropped  uint64
	Failed   uint64
}

// fastConfig is the OTLP/HTTP and batching configuration of the fast
// exporter, read from the variables otlptracehttp and the batch span
// processor read.
type fastConfig struct {
	url       string
	headers   map[string]string
	timeout   time.Duration // one export request, retries included
	gzip      bool
	client    *http.Client
	ownClient bool          // client made here, closed at shutdown
	batch     int           // OTEL_BSP_MAX_EXPORT_BATCH_SIZE
	queue     int           // OTEL_BSP_MAX_QUEUE_SIZE
	delay     time.Duration // OTEL_BSP_SCHEDULE_DELAY
	retryInit time.Duration // otlptracehttp's retry defaults
	retryMax  time.Duration
	retryAll  time.Duration
}

// env returns the trace-specific variable OTEL_EXPORTER_OTLP_TRACES_<n>
// or else OTEL_EXPORTER_OTLP_<n>, as otlptracehttp reads them.
func env(n string) string {
	if v := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_" + n); v != "" {
		return v
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_" + n)
}

// fastConfigFromEnv reads the configuration, or returns "" with the reason
// the fast path cannot send as otlptracehttp would (then the SDK path is
// taken).
func fastConfigFromEnv(client *http.Client) (*fastConfig, string) {
	for _, v := range os.Environ() {
		name, _, _ := strings.Cut(v, "=")
		if strings.HasPrefix(name, "OTEL_SPAN_") || strings.HasPrefix(name, "OTEL_EVENT_") || strings.HasPrefix(name, "OTEL_LINK_") || strings.HasPrefix(name, "OTEL_ATTRIBUTE_") {
			return nil, name + " changes the span limits"
		}
	}
	for _, n := range []string{"CERTIFICATE", "CLIENT_CERTIFICATE", "CLIENT_KEY"} {
		if env(n) != "" {
			return nil, "OTEL_EXPORTER_OTLP_" + n + " is set"
		}
	}
	if p := env("PROTOCOL"); p != "" && p != "http/protobuf" {
		return nil, "protocol " + p
	}
	c := &fastConfig{
		timeout: 10 * time.Second, batch: 512, queue: 2048, delay: 5 * time.Second,
		retryInit: 5 * time.Second, retryMax: 30 * time.Second, retryAll: time.Minute,
		client: client,
	}
	var u *url.URL
	var err error
	if v := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v != "" {
		if u, err = url.Parse(v); err != nil {
			return nil, "endpoint: " + err.Error()
		}
		if u.Path == "" {
			u.Path = "/"
		}
	} else if v := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
		if u, err = url.Parse(v); err != nil {
			return nil, "endpoint: " + err.Error()
		}
		u.Path = path.Join(u.Path, "/v1/traces")
	} else {
		return nil, "no endpoint"
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, "endpoint scheme " + u.Scheme
	}
	// otlptracehttp: the scheme says whether TLS is used, unless the
	// INSECURE variable (read after the endpoint) says otherwise.
	switch strings.ToLower(env("INSECURE")) {
	case "true":
		u.Scheme = "http"
	case "false":
		u.Scheme = "https"
	}
	c.url = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if v := env("HEADERS"); v != "" {
		c.headers = parseHeaders(v)
	}
	if v := env("TIMEOUT"); v != "" {
		if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
			c.timeout = time.Duration(ms) * time.Millisecond
		}
	}
	switch strings.ToLower(env("COMPRESSION")) {
	case "gzip":
		c.gzip = true
	case "", "none":
	default:
		return nil, "compression " + env("COMPRESSION")
	}
	intEnv := func(n string, dst *int) {
		if v, err := strconv.Atoi(os.Getenv(n)); err == nil && v > 0 {
			*dst = v
		}
	}
	intEnv("OTEL_BSP_MAX_QUEUE_SIZE", &c.queue)
	intEnv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", &c.batch)
	c.batch = min(c.batch, c.queue)
	var ms int
	if intEnv("OTEL_BSP_SCHEDULE_DELAY", &ms); ms > 0 {
		c.delay = time.Duration(ms) * time.Millisecond
	}
	if c.client == nil {
		// A transport of its own, whose idle connections Stop closes.
		c.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		c.ownClient = true
	}
	return c, ""
}

// parseHeaders reads "k=v,k2=v2" with URL-encoded values, as
// otlptracehttp does (entries it would reject are skipped).
func parseHeaders(s string) map[string]string {
	h := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" || strings.ContainsAny(k, " \t\r\n\"(),/:;<=>?@[\\]{}") {
			continue
		}
		v, err := url.PathUnescape(v)
		if err != nil {
			continue
		}
		h[k] = strings.TrimSpace(v)
	}
	return h
}

// fastBatch is an export request being built: a prefix area (the
// request's, resource spans' and scope spans' headers are written at its
// end once the length is known) and the encoded spans after it.
type fastBatch struct {
	buf []byte
	n   int
}

// fastExporter batches the fast spans as OTLP protobuf and posts them.
type fastExporter struct {
	cfg    *fastConfig
	tracer trace.Tracer         // the SDK's, for spans handed to it
	tp     trace.TracerProvider // what the spans' TracerProvider returns

	resPart   []byte // ResourceSpans.resource field, encoded
	scopePart []byte // ScopeSpans.scope field, encoded
	rsTrailer []byte // ResourceSpans.schema_url field, if any
	reserve   int    // prefix area of a batch

	mu     sync.Mutex
	cur    *fastBatch
	closed bool

	queue   chan *fastBatch
	done    chan struct{}
	stopCtx context.Context // cancelled when Shutdown gives up
	cancel  context.CancelFunc
	pool    sync.Pool // *fastBatch
	scratch sync.Pool // *[]byte

	exported, dropped, failed atomic.Uint64
	errMu                     sync.Mutex
	lastErr                   error
	onError                   func(error) // first failure of a run of failures
}

func newFastExporter(cfg *fastConfig, res *resource.Resource, tracer trace.Tracer, tp trace.TracerProvider, onError func(error)) *fastExporter {
	fx := &fastExporter{cfg: cfg, tracer: tracer, tp: tp, onError: onError}
	// Resource{attributes = 1}, as the SDK's transform makes it.
	var rb []byte
	for it := res.Iter(); it.Next(); {
		rb = appendKeyValue(rb, 1, it.Attribute())
	}
	fx.resPart = protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), rb)
	// InstrumentationScope{name = 1, version = 2}.
	sb := appendString(nil, 1, ScopeName)
	sb = appendString(sb, 2, Version)
	fx.scopePart = protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), sb)
	if u := res.SchemaURL(); u != "" {
		fx.rsTrailer = appendString(nil, 3, u)
	}
	fx.reserve = len(fx.resPart) + len(fx.scopePart) + 3*(1+protowire.SizeVarint(math.MaxUint64))
	fx.queue = make(chan *fastBatch, max(1, cfg.queue/cfg.batch-1))
	fx.done = make(chan struct{})
	fx.stopCtx, fx.cancel = context.WithCancel(context.Background())
	fx.cur = fx.newBatch()
	go fx.run()
	return fx
}

func (fx *fastExporter) newBatch() *fastBatch {
	if b, ok := fx.pool.Get().(*fastBatch); ok {
		b.buf, b.n = b.buf[:fx.reserve], 0
		return b
	}
	return &fastBatch{buf: make([]byte, fx.reserve, fx.reserve+fx.cfg.batch*400)}
}

// stats returns the counts.
func (fx *fastExporter) stats() ExportStats {
	return ExportStats{Exported: fx.exported.Load(), Dropped: fx.dropped.Load(), Failed: fx.failed.Load()}
}

// export appends an ended span to the current batch; s.mu is held.
func (fx *fastExporter) export(s *fastSpan, end time.Time) {
	sp, _ := fx.scratch.Get().(*[]byte)
	if sp == nil {
		sp = new([]byte)
	}
	b := appendSpan((*sp)[:0], s, end)
	fx.mu.Lock()
	if fx.closed {
		fx.mu.Unlock()
		fx.dropped.Add(1)
	} else {
		cur := fx.cur
		cur.buf = protowire.AppendBytes(protowire.AppendTag(cur.buf, 2, protowire.BytesType), b)
		cur.n++
		if cur.n >= fx.cfg.batch {
			select {
			case fx.queue <- cur:
				fx.cur = fx.newBatch()
			default:
				// The queue is full (a slow or failing collector): the
				// batch is dropped, requests never wait.
				fx.dropped.Add(uint64(cur.n))
				cur.buf, cur.n = cur.buf[:fx.reserve], 0
			}
		}
		fx.mu.Unlock()
	}
	if cap(b) <= 64<<10 {
		*sp = b
		fx.scratch.Put(sp)
	}
}

// run sends the queued batches, and the current one every schedule delay.
func (fx *fastExporter) run() {
	defer close(fx.done)
	t := time.NewTicker(fx.cfg.delay)
	defer t.Stop()
	for {
		select {
		case b, ok := <-fx.queue:
			if !ok {
				return
			}
			fx.send(b)
		case <-t.C:
			fx.mu.Lock()
			var b *fastBatch
			if !fx.closed && fx.cur.n > 0 {
				b, fx.cur = fx.cur, fx.newBatch()
			}
			fx.mu.Unlock()
			if b != nil {
				fx.send(b)
			}
		}
	}
}

// shutdown sends what is batched and stops; spans ended later are dropped.
// When ctx ends first, the export under way is abandoned.
func (fx *fastExporter) shutdown(ctx context.Context) error {
	fx.mu.Lock()
	if fx.closed {
		fx.mu.Unlock()
		return nil
	}
	fx.closed = true
	last := fx.cur
	fx.cur = nil
	fx.mu.Unlock()
	var err error
	if last.n > 0 {
		select {
		case fx.queue <- last:
		case <-ctx.Done():
			fx.dropped.Add(uint64(last.n))
			err = ctx.Err()
		}
	}
	close(fx.queue)
	select {
	case <-fx.done:
	case <-ctx.Done():
		fx.cancel()
		<-fx.done
		err = ctx.Err()
	}
	fx.cancel()
	if fx.cfg.ownClient {
		fx.cfg.client.CloseIdleConnections()
	}
	if err == nil {
		fx.errMu.Lock()
		err = fx.lastErr
		fx.errMu.Unlock()
	}
	return err
}

// send posts one batch, retrying as otlptracehttp does (429, 502, 503,
// 504 and transport errors; Retry-After honoured; exponential backoff),
// within the export timeout.
func (fx *fastExporter) send(b *fastBatch) {
	body := fx.finish(b)
	n := uint64(b.n)
	err := fx.post(body)
	if fx.cfg.gzip {
		// The request carried a compressed copy. Uncompressed, the
		// buffer is not reused: the transport may still read a request
		// body after Do returns (http.RoundTripper).
		b.buf, b.n = b.buf[:fx.reserve], 0
		fx.pool.Put(b)
	}
	fx.errMu.Lock()
	first := err != nil && fx.lastErr == nil
	fx.lastErr = err
	fx.errMu.Unlock()
	if err != nil {
		fx.failed.Add(n)
		if first && fx.onError != nil {
			fx.onError(err)
		}
		return
	}
	fx.exported.Add(n)
}

// finish writes the request's headers before the spans and returns the
// encoded ExportTraceServiceRequest.
func (fx *fastExporter) finish(b *fastBatch) []byte {
	spans := len(b.buf) - fx.reserve
	ssLen := len(fx.scopePart) + spans // ScopeSpans: scope, spans (no schema URL)
	rsLen := len(fx.resPart) + 1 + protowire.SizeVarint(uint64(ssLen)) + ssLen + len(fx.rsTrailer)
	var pre [64]byte
	p := protowire.AppendVarint(protowire.AppendTag(pre[:0], 1, protowire.BytesType), uint64(rsLen))
	head := make([]byte, 0, len(p)+len(fx.resPart)+16+len(fx.scopePart))
	head = append(head, p...)
	head = append(head, fx.resPart...)
	head = protowire.AppendVarint(protowire.AppendTag(head, 2, protowire.BytesType), uint64(ssLen))
	head = append(head, fx.scopePart...)
	start := fx.reserve - len(head)
	copy(b.buf[start:], head)
	b.buf = append(b.buf, fx.rsTrailer...)
	return b.buf[start:]
}

var gzPool = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

var errRetryable = errors.New("retryable")

func (fx *fastExporter) post(body []byte) error {
	ctx, cancel := context.WithTimeout(fx.stopCtx, fx.cfg.timeout)
	defer cancel()
	if fx.cfg.gzip {
		var zb bytes.Buffer
		gz := gzPool.Get().(*gzip.Writer)
		gz.Reset(&zb)
		_, _ = gz.Write(body)
		_ = gz.Close()
		gzPool.Put(gz)
		body = zb.Bytes()
	}
	wait := fx.cfg.retryInit
	deadline := time.Now().Add(fx.cfg.retryAll)
	for {
		after, err := fx.postOnce(ctx, body)
		if err == nil || !errors.Is(err, errRetryable) {
			return err
		}
		d := wait
		if after > 0 {
			d = after
		}
		if time.Now().Add(d).After(deadline) {
			return err
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%v)", ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, fx.cfg.retryMax)
	}
}

var userAgent = "OTel OTLP Exporter Go/" + otlptrace.Version()

func (fx *fastExporter) postOnce(ctx context.Context, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fx.cfg.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", userAgent)
	for k, v := range fx.cfg.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if fx.cfg.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := fx.cfg.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		return 0, fmt.Errorf("otel: OTLP export to %s: %w: %w", fx.cfg.url, errRetryable, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		var after time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			after = time.Duration(s) * time.Second
		}
		return after, fmt.Errorf("otel: OTLP export to %s: %w: %s", fx.cfg.url, errRetryable, resp.Status)
	}
	return 0, fmt.Errorf("otel: OTLP export to %s: %s", fx.cfg.url, resp.Status)
}

// Encoding of the OTLP messages (opentelemetry/proto/trace/v1/trace.proto,
// common/v1/common.proto), with protowire's wire format. Every field number
// used here but Span.flags (16) is below 16, so its tag is one byte.

// tag is the one-byte tag of field num (< 16) of wire type typ.
func tag(num protowire.Number, typ protowire.Type) byte { return byte(num)<<3 | byte(typ) }

// appendVarint is protowire.AppendVarint with the one-byte case first.
func appendVarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	return protowire.AppendVarint(b, v)
}

// sizeBytes is protowire.SizeBytes with the one-byte length first.
func sizeBytes(n int) int {
	if n < 0x80 {
		return 1 + n
	}
	return protowire.SizeBytes(n)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	return append(appendVarint(append(b, tag(num, protowire.BytesType)), uint64(len(s))), s...)
}

func appendFixed64(b []byte, num protowire.Number, v uint64) []byte {
	return protowire.AppendFixed64(append(b, tag(num, protowire.Fixed64Type)), v)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	return appendVarint(append(b, tag(num, protowire.VarintType)), v)
}

// appendLen appends the tag of message field num and its length.
func appendLen(b []byte, num protowire.Number, n int) []byte {
	return appendVarint(append(b, tag(num, protowire.BytesType)), uint64(n))
}

func unixNano(t time.Time) uint64 { return uint64(max(0, t.UnixNano())) }

// appendSpan encodes s as an OTLP Span message (without its tag and
// length), as the SDK's transform fills it: status always present, flags
// with the has-is-remote bit, zero fields omitted.
func appendSpan(b []byte, s *fastSpan, end time.Time) []byte {
	tid, sid := s.sc.TraceID(), s.sc.SpanID()
	b = append(appendLen(b, 1, len(tid)), tid[:]...)
	b = append(appendLen(b, 2, len(sid)), sid[:]...)
	if ts := s.sc.TraceState(); ts.Len() > 0 {
		b = appendString(b, 3, ts.String())
	}
	if psid := s.parent.SpanID(); psid.IsValid() {
		b = append(appendLen(b, 4, len(psid)), psid[:]...)
	}
	if s.name != "" {
		b = appendString(b, 5, s.name)
	}
	b = append(b, tag(6, protowire.VarintType), 2) // SPAN_KIND_SERVER
	if v := unixNano(s.start); v != 0 {
		b = appendFixed64(b, 7, v)
	}
	if v := unixNano(end); v != 0 {
		b = appendFixed64(b, 8, v)
	}
	for _, a := range s.attrs {
		b = appendKeyValue(b, 9, a)
	}
	if s.droppedAttrs > 0 {
		b = appendVarintField(b, 10, uint64(min(s.droppedAttrs, math.MaxUint32)))
	}
	for i := range s.events {
		b = appendEvent(b, &s.events[i])
	}
	if s.droppedEvents > 0 {
		b = appendVarintField(b, 12, uint64(min(s.droppedEvents, math.MaxUint32)))
	}
	// Status{message = 2, code = 3}.
	var code uint64
	switch s.status {
	case codes.Ok:
		code = 1
	case codes.Error:
		code = 2
	}
	sl := 0
	if s.desc != "" {
		sl += 1 + sizeBytes(len(s.desc))
	}
	if code != 0 {
		sl += 2
	}
	b = appendLen(b, 15, sl)
	if s.desc != "" {
		b = appendString(b, 2, s.desc)
	}
	if code != 0 {
		b = append(b, tag(3, protowire.VarintType), byte(code))
	}
	flags := uint32(s.sc.TraceFlags()) | 0x100 // SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
	if s.parent.IsRemote() {
		flags |= 0x200 // SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK
	}
	return protowire.AppendFixed32(protowire.AppendTag(b, 16, protowire.Fixed32Type), flags)
}

func appendEvent(b []byte, e *fastEvent) []byte {
	n := 0
	t := unixNano(e.time)
	if t != 0 {
		n += 1 + 8
	}
	if e.name != "" {
		n += 1 + sizeBytes(len(e.name))
	}
	for _, a := range e.attrs {
		n += 1 + sizeBytes(sizeKeyValue(a))
	}
	if e.dropped > 0 {
		n += 1 + protowire.SizeVarint(uint64(e.dropped))
	}
	b = appendLen(b, 11, n)
	if t != 0 {
		b = appendFixed64(b, 1, t)
	}
	if e.name != "" {
		b = appendString(b, 2, e.name)
	}
	for _, a := range e.attrs {
		b = appendKeyValue(b, 3, a)
	}
	if e.dropped > 0 {
		b = appendVarintField(b, 4, uint64(min(e.dropped, math.MaxUint32)))
	}
	return b
}

// sizeKeyValue is the size of a KeyValue{key = 1, value = 2} message.
func sizeKeyValue(kv attribute.KeyValue) int {
	return sizeKV(kv, sizeValue(kv.Value))
}

// sizeKV is sizeKeyValue given the size of the value.
func sizeKV(kv attribute.KeyValue, vs int) int {
	n := 0
	if kv.Key != "" {
		n += 1 + sizeBytes(len(kv.Key))
	}
	return n + 1 + sizeBytes(vs)
}

// appendKeyValue appends kv as field num.
func appendKeyValue(b []byte, num protowire.Number, kv attribute.KeyValue) []byte {
	vs := sizeValue(kv.Value)
	b = appendLen(b, num, sizeKV(kv, vs))
	if kv.Key != "" {
		b = appendString(b, 1, string(kv.Key))
	}
	b = appendLen(b, 2, vs)
	return appendValue(b, kv.Value)
}

// sizeValue is the size of the AnyValue message of v, as the SDK's
// transform makes it (oneof fields are present even when zero).
func sizeValue(v attribute.Value) int {
	switch v.Type() {
	case attribute.STRING:
		return 1 + sizeBytes(len(v.AsString()))
	case attribute.BOOL:
		return 2
	case attribute.INT64:
		return 1 + protowire.SizeVarint(uint64(v.AsInt64()))
	case attribute.FLOAT64:
		return 1 + 8
	case attribute.BYTESLICE:
		return 1 + sizeBytes(len(v.AsString()))
	case attribute.EMPTY:
		return 0
	case attribute.MAP:
		n := 0
		for _, kv := range v.AsMap() {
			n += 1 + sizeBytes(sizeKeyValue(kv))
		}
		return 1 + sizeBytes(n)
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE, attribute.SLICE:
		n := 0
		for _, e := range sliceValues(v) {
			n += 1 + sizeBytes(sizeValue(e))
		}
		return 1 + sizeBytes(n)
	}
	return 1 + sizeBytes(len("INVALID"))
}

func appendValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.STRING:
		return appendString(b, 1, v.AsString())
	case attribute.BOOL:
		var x byte
		if v.AsBool() {
			x = 1
		}
		return append(b, tag(2, protowire.VarintType), x)
	case attribute.INT64:
		return appendVarintField(b, 3, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		return appendFixed64(b, 4, math.Float64bits(v.AsFloat64()))
	case attribute.BYTESLICE:
		return appendString(b, 7, v.AsString())
	case attribute.EMPTY:
		return b
	case attribute.MAP:
		kvs := v.AsMap()
		n := 0
		for _, kv := range kvs {
			n += 1 + sizeBytes(sizeKeyValue(kv))
		}
		b = appendLen(b, 6, n)
		for _, kv := range kvs {
			b = appendKeyValue(b, 1, kv)
		}
		return b
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE, attribute.SLICE:
		vs := sliceValues(v)
		n := 0
		for _, e := range vs {
			n += 1 + sizeBytes(sizeValue(e))
		}
		b = appendLen(b, 5, n)
		for _, e := range vs {
			b = appendLen(b, 1, sizeValue(e))
			b = appendValue(b, e)
		}
		return b
	}
	return appendString(b, 1, "INVALID")
}

// sliceValues returns the elements of a slice value as values (the SDK's
// transform encodes every kind of slice as an ArrayValue of AnyValues).
func sliceValues(v attribute.Value) []attribute.Value {
	var out []attribute.Value
	switch v.Type() {
	case attribute.BOOLSLICE:
		for _, x := range v.AsBoolSlice() {
			out = append(out, attribute.BoolValue(x))
		}
	case attribute.INT64SLICE:
		for _, x := range v.AsInt64Slice() {
			out = append(out, attribute.Int64Value(x))
		}
	case attribute.FLOAT64SLICE:
		for _, x := range v.AsFloat64Slice() {
			out = append(out, attribute.Float64Value(x))
		}
	case attribute.STRINGSLICE:
		for _, x := range v.AsStringSlice() {
			out = append(out, attribute.StringValue(x))
		}
	case attribute.SLICE:
		out = v.AsSlice()
	}
	return out
}
