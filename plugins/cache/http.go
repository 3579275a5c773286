package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	covet "github.com/covetgo/covet/core"
)

// HTTPCache is the response cache: middleware that stores GET responses in
// a Cache by RFC 9111's rules and answers later requests from it. Create it
// with NewHTTP; install it (App.Install) or use its Middleware.
//
// What is stored: responses to GET requests without a body and without
// Upgrade, without Authorization or cookies (unless the route has KeyBy,
// or WithCookiesAllowed), on routes without security requirements
// (RouteInfo.Security, which auth guards declare: guards run inside the
// cache, so only KeyBy opts such a route in), with a storable status
// (WithStatuses), freshness (s-maxage, max-age, Expires, For or
// WithDefaultTTL), no Set-Cookie, no Cache-Control no-store, private or
// no-cache, no Vary: *, not a stream (a flushed response,
// text/event-stream), and a body within WithMaxBodySize.
//
// The key is the host, the path, the query with its parameters sorted by
// name (values of one name keep their order; a segment with ';' stays as
// it is), the DefaultKeyedHeaders present, KeyBy's answer, and the request
// headers the response names in Vary. HEAD requests are answered from the
// stored GET response. A request with Cache-Control no-cache or max-age=0
// skips the stored response and refreshes it; no-store bypasses the cache.
//
// Answers from the cache carry Age, the stored ETag (a strong one computed
// from the body when the handler set none) and Last-Modified, and become
// 304 Not Modified for a matching If-None-Match or If-Modified-Since; a
// Range request on a stored 200 gets its range of the stored body.
//
// Middleware outside the cache runs on every request; the headers it sets
// are its own and are not stored. Middleware inside it is replayed.
type HTTPCache struct {
	c         *Cache
	cfg       httpConfig
	st        httpCounters
	keyedLens uint64 // bit n set: a keyed header name has length n
	// routes remembers each route's settings (nil: none), so a request
	// reads them with one pointer-keyed lookup instead of the route's
	// metadata map (an interface-keyed lookup, the larger cost). Copied on
	// write: routes are few and each is added once.
	routes atomic.Pointer[map[*covet.RouteInfo]*routeConf]
	door   atomic.Pointer[doorkeeper] // AdmitRepeats routes' recently asked keys, made on first use
}

type httpCounters struct {
	hits, misses, stores, bypasses, notModified atomic.Int64
}

// HTTPStats are the response cache's counters.
type HTTPStats struct {
	Hits        int64 `json:"hits"`
	Misses      int64 `json:"misses"`
	Stores      int64 `json:"stores"`
	Bypasses    int64 `json:"bypasses"`
	NotModified int64 `json:"not_modified"`
}

// NewHTTP returns a response cache storing into c.
func NewHTTP(c *Cache, opts ...HTTPOption) *HTTPCache {
	cfg := defaultHTTPConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	h := &HTTPCache{c: c, cfg: cfg}
	for _, k := range cfg.keyed {
		if len(k) < 64 {
			h.keyedLens |= 1 << len(k)
		} else {
			h.keyedLens = ^uint64(0) >> 1 // never skip; anyKeyed falls back to lookups
		}
	}
	if p := cfg.purger; p != nil {
		c.OnInvalidate(func(ctx context.Context, tags []string) {
			if err := p.Purge(ctx, tags); err != nil {
				c.cfg.logger.Warn("cache: CDN purge failed", "tags", tags, "error", err)
			}
		})
	}
	return h
}

// Stats returns the counters.
func (h *HTTPCache) Stats() HTTPStats {
	return HTTPStats{Hits: h.st.hits.Load(), Misses: h.st.misses.Load(), Stores: h.st.stores.Load(),
		Bypasses: h.st.bypasses.Load(), NotModified: h.st.notModified.Load()}
}

// Name returns "cache-http".
func (h *HTTPCache) Name() string { return "cache-http" }

// Install adds the middleware to the app at covet.PhaseCache: inside the
// guards (rate limits), outside a request's database transaction.
func (h *HTTPCache) Install(app *covet.App) error {
	app.UseAt(covet.PhaseCache, h.Middleware)
	return nil
}

var _ covet.Plugin = (*HTTPCache)(nil)

// stored is a response as kept in the cache: its headers precomputed as the
// block written on every hit.
type stored struct {
	status  int
	hdr     []headerKV // written on a hit; each value slice has len == cap
	body    []byte
	etag    string
	lastMod time.Time
	date    int64 // unix nanos when stored, minus the Age it came with
	tags    []string
	vary    int // index of Vary in hdr, or -1
	age     atomic.Pointer[ageString]
}

type headerKV struct {
	k string
	v []string
}

type ageString struct {
	sec int64
	v   []string
}

// varyMarker sits under the primary key of a URL whose responses vary: it
// names the request headers that complete the key.
type varyMarker struct{ names []string }

// Middleware is the response-cache middleware.
func (h *HTTPCache) Middleware(next covet.HandlerFunc) covet.HandlerFunc {
	return func(c *covet.Context) error {
		r := c.Request()
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return h.invalidateOnWrite(c, next)
		}
		rt := c.Route()
		rc := h.routeConf(rt)
		if rc != nil && rc.off {
			return next(c)
		}
		if rc != nil && rc.skip != nil && rc.skip(c) {
			h.st.bypasses.Add(1)
			return next(c)
		}
		if r.ContentLength != 0 || len(r.Header["Upgrade"]) > 0 {
			// A GET with a body (a search API's JSON query): the key
			// does not hold the body, so one query's answer would be
			// every other's. An upgrade (a WebSocket handshake to the
			// URL of a page) is for the handler, not the stored page.
			h.st.bypasses.Add(1)
			return next(c)
		}
		hdr := r.Header
		var user string
		if rc != nil && rc.keyBy != nil {
			if user = rc.keyBy(c); user == "" {
				h.st.bypasses.Add(1)
				return next(c)
			}
		} else if len(hdr["Authorization"]) > 0 || (!h.cfg.cookiesOK && len(hdr["Cookie"]) > 0) || (rt != nil && len(rt.Security) > 0) {
			// A route with security requirements has guards, and they
			// run inside the cache: a response stored for a request they
			// let through (an API key in its own header) would be served
			// to requests they never saw. KeyBy opts such a route in.
			h.st.bypasses.Add(1)
			return next(c)
		}
		revalidate := false
		if cc := hdr["Cache-Control"]; len(cc) > 0 {
			d := parseCC(cc)
			if d.noStore {
				h.st.bypasses.Add(1)
				return next(c)
			}
			revalidate = d.noCache || d.maxAge == 0
		} else if p := hdr["Pragma"]; len(p) > 0 && strings.Contains(p[0], "no-cache") {
			revalidate = true
		}
		var arr [160]byte // the key, on the stack unless longer
		key := h.primaryKey(arr[:0], r, user)
		now := time.Now().UnixNano()
		if rc != nil && rc.admit > 0 && !h.doorkeeper().seen(key, now/int64(time.Second), rc.admit) {
			if _, ok := h.c.l1.GetIfPresent(unsafeString(key)); !ok {
				h.st.bypasses.Add(1) // asked once so far: not worth a lookup and a store
				return h.pass(c, next, rc)
			}
		}
		var st stamp // the epoch, when the lookup read Redis
		if !revalidate {
			if s := h.find(c.Context(), key, hdr, now, &st); s != nil {
				h.st.hits.Add(1)
				return h.serve(c, s, now)
			}
		}
		h.st.misses.Add(1)
		if r.Method == http.MethodHead {
			return next(c) // no body to store
		}
		return h.fill(c, next, rc, key, st)
	}
}

// routeConf returns the response-cache settings of rt, or nil.
func (h *HTTPCache) routeConf(rt *covet.RouteInfo) *routeConf {
	if rt == nil {
		return nil
	}
	m := h.routes.Load()
	if m != nil {
		if rc, ok := (*m)[rt]; ok {
			return rc
		}
	}
	rc, _ := routeKey.Get(rt)
	if m != nil && len(*m) >= maxRememberedRoutes {
		return rc
	}
	for {
		n := make(map[*covet.RouteInfo]*routeConf, len(ptrMap(m))+1)
		for k, v := range ptrMap(m) {
			n[k] = v
		}
		n[rt] = rc
		if h.routes.CompareAndSwap(m, &n) {
			return rc
		}
		m = h.routes.Load()
	}
}

// maxRememberedRoutes bounds routeConf's memory should an app create
// RouteInfos per request (core does not: one per route).
const maxRememberedRoutes = 4096

func ptrMap(m *map[*covet.RouteInfo]*routeConf) map[*covet.RouteInfo]*routeConf {
	if m == nil {
		return nil
	}
	return *m
}

func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// find returns the fresh stored response for key (completed with the
// Vary values when the URL's responses vary), or nil. A lookup in Redis
// fills st (see l2GetStamp).
func (h *HTTPCache) find(ctx context.Context, key []byte, hdr http.Header, now int64, st *stamp) *stored {
	e := h.get(ctx, key, now, st)
	if e == nil {
		return nil
	}
	if vm, ok := e.value.(*varyMarker); ok {
		key = appendVary(key, vm.names, hdr)
		if e = h.get(ctx, key, now, st); e == nil {
			return nil
		}
	}
	s, _ := e.value.(*stored)
	return s
}

// get looks key up in L1 (without copying it), then in Redis.
func (h *HTTPCache) get(ctx context.Context, key []byte, now int64, st *stamp) *entry {
	c := h.c
	if e, ok := c.l1.GetIfPresent(unsafeString(key)); ok {
		if e.fresh < now || !c.valid(e) {
			return nil
		}
		if c.cfg.l1Check {
			var ok bool
			if e, ok = c.l1Check(ctx, string(key), e, st); !ok || e.fresh < now || e.neg {
				return nil
			}
		}
		if e.value == nil {
			return h.decoded(string(key), e)
		}
		return e
	}
	if c.rdb == nil {
		return nil
	}
	k := string(key)
	e := c.lookupStamp(ctx, k, st)
	if e == nil || e.fresh < now || e.neg {
		return nil
	}
	if e.value == nil {
		return h.decoded(k, e)
	}
	return e
}

// decoded replaces an entry read from Redis (encoded only) by one holding
// the decoded response, in L1 too.
func (h *HTTPCache) decoded(key string, e *entry) *entry {
	v, ok := decodeHTTP(e.raw)
	if !ok {
		return nil
	}
	ne := *e
	ne.value = v
	h.c.l1.Set(key, &ne)
	return &ne
}

// serve answers from s.
func (h *HTTPCache) serve(c *covet.Context, s *stored, now int64) error {
	res := c.Response()
	out := res.Header()
	var outerVary []string
	if s.vary >= 0 {
		outerVary = out["Vary"] // set by middleware outside: kept, ours appended
	}
	for i := range s.hdr {
		out[s.hdr[i].k] = s.hdr[i].v
	}
	if len(outerVary) > 0 {
		out["Vary"] = append(outerVary[:len(outerVary):len(outerVary)], s.hdr[s.vary].v...)
	}
	out["Age"] = s.ageValue(now)
	r := c.Request()
	if notModified(r.Header, s) {
		h.st.notModified.Add(1)
		delete(out, "Content-Length")
		delete(out, "Content-Type")
		res.WriteHeader(http.StatusNotModified)
		return nil
	}
	if len(r.Header["Range"]) > 0 && s.status == http.StatusOK && len(out["Content-Encoding"]) == 0 {
		// Ranges of the stored body (RFC 9111 §3.4), with If-Range
		// against the stored validators: a media player's or a resumed
		// download's range gets its 206, as from the handler.
		delete(out, "Content-Length")
		http.ServeContent(res, r, "", s.lastMod, bytes.NewReader(s.body))
		return nil
	}
	res.WriteHeader(s.status)
	if len(s.body) > 0 {
		_, _ = res.Write(s.body)
	}
	return nil
}

// ageValue returns the Age header value, computed once per second.
func (s *stored) ageValue(now int64) []string {
	sec := max((now-s.date)/int64(time.Second), 0)
	if a := s.age.Load(); a != nil && a.sec == sec {
		return a.v
	}
	a := &ageString{sec: sec, v: []string{strconv.FormatInt(sec, 10)}}
	a.v = a.v[:1:1]
	s.age.Store(a)
	return a.v
}

// notModified evaluates the request's conditions against s (RFC 9110
// §13.2.2: If-None-Match first; If-Modified-Since only without it).
func notModified(hdr http.Header, s *stored) bool {
	if inm := hdr["If-None-Match"]; len(inm) > 0 {
		return s.etag != "" && etagMatch(inm, s.etag)
	}
	if ims := hdr["If-Modified-Since"]; len(ims) > 0 && !s.lastMod.IsZero() {
		t, err := http.ParseTime(ims[0])
		return err == nil && !s.lastMod.Truncate(time.Second).After(t)
	}
	return false
}

// etagMatch is the weak comparison of If-None-Match.
func etagMatch(list []string, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, l := range list {
		for l != "" {
			var tag string
			tag, l, _ = strings.Cut(l, ",")
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
				return true
			}
		}
	}
	return false
}

// primaryKey appends the key of r without Vary: a kind marker, host, path,
// canonical query, keyed headers present, and the user.
func (h *HTTPCache) primaryKey(b []byte, r *http.Request, user string) []byte {
	b = append(b, "h\x00"...)
	b = append(b, r.Host...)
	b = append(b, 0)
	if r.URL.RawPath != "" {
		b = append(b, r.URL.RawPath...)
	} else {
		// Escaped: a decoded path may hold '?' (from %3F) or control bytes,
		// which would make "/a%3Fb=c" the key of "/a?b=c". No allocation
		// when nothing needs escaping.
		b = append(b, r.URL.EscapedPath()...)
	}
	if q := r.URL.RawQuery; q != "" {
		b = append(b, '?')
		b = appendQuery(b, q)
	}
	if !h.anyKeyed(r.Header) {
		goto user
	}
	for _, name := range h.cfg.keyed {
		if vs, ok := r.Header[name]; ok {
			b = append(b, 0)
			b = append(b, name...)
			for _, v := range vs {
				b = append(b, 1)
				b = append(b, v...)
			}
		}
	}
user:
	if user != "" {
		b = append(b, "\x00u\x00"...)
		b = append(b, user...)
	}
	return b
}

// anyKeyed reports whether hdr has one of the keyed headers. A request
// has fewer headers than there are keyed names, usually: one pass over
// them, skipping names whose length no keyed name has, costs less than a
// lookup per keyed name.
func (h *HTTPCache) anyKeyed(hdr http.Header) bool {
	if len(hdr) > len(h.cfg.keyed) {
		return true // look each up
	}
	for k := range hdr {
		if l := len(k); l < 64 && h.keyedLens&(1<<l) != 0 && slices.Contains(h.cfg.keyed, k) {
			return true
		}
	}
	return false
}

// appendQuery appends q with its '&'-separated segments stably sorted by
// name: the order of values of one name is kept (a handler reading the
// first value sees the same one), and segments are not decoded (a
// ';'-cloaked or encoded parameter is its own key, never another's).
func appendQuery(b []byte, q string) []byte {
	sorted := true
	prev := ""
	for rest := q; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "&")
		name, _, _ := strings.Cut(seg, "=")
		if name < prev {
			sorted = false
			break
		}
		prev = name
	}
	if sorted {
		return append(b, q...)
	}
	segs := strings.Split(q, "&")
	slices.SortStableFunc(segs, func(a, b string) int {
		an, _, _ := strings.Cut(a, "=")
		bn, _, _ := strings.Cut(b, "=")
		return strings.Compare(an, bn)
	})
	for i, s := range segs {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, s...)
	}
	return b
}

// appendVary appends the values of the named request headers.
func appendVary(b []byte, names []string, hdr http.Header) []byte {
	b = append(b, "\x00v"...)
	for _, n := range names {
		b = append(b, 0)
		for _, v := range hdr[n] {
			b = append(b, 1)
			b = append(b, v...)
		}
	}
	return b
}

// cc is a parsed Cache-Control.
type cc struct {
	noStore, noCache, private, public bool
	maxAge, sMaxAge                   int // -1 when absent
}

func parseCC(vals []string) cc {
	d := cc{maxAge: -1, sMaxAge: -1}
	for _, v := range vals {
		for v != "" {
			var dir string
			dir, v, _ = strings.Cut(v, ",")
			dir = strings.TrimSpace(dir)
			name, arg, _ := strings.Cut(dir, "=")
			switch strings.ToLower(name) {
			case "no-store":
				d.noStore = true
			case "no-cache":
				d.noCache = true
			case "private":
				d.private = true
			case "public":
				d.public = true
			case "max-age":
				d.maxAge = atoiOr(arg, 0)
			case "s-maxage":
				d.sMaxAge = atoiOr(arg, 0)
			}
		}
	}
	return d
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(strings.Trim(s, `"`))
	if err != nil || n < 0 {
		return def
	}
	return n
}

// notStored lists response headers never stored: hop-by-hop ones, and
// those that belong to one exchange.
var notStored = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Date": true, "Age": true, "Set-Cookie": true, "Server-Timing": true, "X-Request-Id": true,
}

// invalidateOnWrite passes a non-GET request on and, when it succeeds, evicts the
// stored response of its URL (RFC 9111 §4.4), and the writer's own entry
// when the URL's GET route has KeyBy, with the tags the handler
// asked for (InvalidateAfter) in the same Redis round trip. The tags are
// invalidated whatever the handler's outcome.
func (h *HTTPCache) invalidateOnWrite(c *covet.Context, next covet.HandlerFunc) error {
	aw := &afterWrite{h: h}
	afterKey.Set(c, aw)
	err := next(c)
	afterKey.Delete(c)
	var keys []string
	if h.cfg.invalidates && err == nil && written(c) {
		r := c.Request()
		keys = []string{string(h.primaryKey(nil, r, ""))}
		// On a KeyBy route the writer's own entry is under its key: the
		// GET route's KeyBy names it from the write's credentials.
		if rt, ok := c.App().Match(http.MethodGet, r.URL.Path); ok {
			if rc, _ := routeKey.Get(&rt); rc != nil && rc.keyBy != nil {
				if user := rc.keyBy(c); user != "" {
					keys = append(keys, string(h.primaryKey(nil, r, user)))
				}
			}
		}
	}
	if len(keys) == 0 && len(aw.tags) == 0 {
		return err
	}
	h.c.invalidate(context.WithoutCancel(c.Context()), keys, aw.tags)
	return err
}

// written reports a successful POST, PUT, PATCH or DELETE.
func written(c *covet.Context) bool {
	switch c.Request().Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return false
	}
	st := c.Response().Status()
	return st >= 200 && st < 400
}

// afterWrite is the tags a write's handler asked to invalidate.
type afterWrite struct {
	h    *HTTPCache
	tags []string
}

var afterKey = covet.NewKey[*afterWrite]("cache.afterWrite")

// InvalidateAfter asks the response cache serving the request (a method
// other than GET and HEAD) to invalidate tags when the request's handler
// has returned, whatever its outcome, together with the eviction of the
// request URL's stored response: one Redis round trip (one script) for
// both, where InvalidateTags and the eviction cost one each. Call it from
// the handler or from middleware inside the response cache's. It reports
// false, and does nothing, when no response cache of cache serves the
// request (a GET, or the middleware is not installed): then call
// cache.InvalidateTags.
func InvalidateAfter(c *covet.Context, cache *Cache, tags ...string) bool {
	aw, ok := afterKey.Get(c)
	if !ok || aw == nil || aw.h.c != cache {
		return false
	}
	aw.tags = append(aw.tags, tags...)
	return true
}

// recorder tees the response to the client and to a buffer.
type recorder struct {
	http.ResponseWriter
	h      *HTTPCache
	status int
	hdr    http.Header // a copy at WriteHeader
	buf    []byte
	skip   bool // not storable: too big, flushed, hijacked
	tags   []string
	rc     *routeConf
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
		w.decorate()
		w.hdr = w.ResponseWriter.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(code)
}

// decorate adds, just before the headers go out, the route's Cache-Control
// (For) and the CDN tag headers, to responses that may be stored: never to
// an error status, a Set-Cookie or a response the handler marked otherwise.
func (w *recorder) decorate() {
	out := w.ResponseWriter.Header()
	if !w.h.cfg.statuses[w.status] || len(out["Set-Cookie"]) > 0 {
		return
	}
	cc := out["Cache-Control"]
	if len(cc) == 0 && w.rc != nil && w.rc.ttl > 0 {
		out.Set("Cache-Control", "public, max-age=0, s-maxage="+strconv.Itoa(int(w.rc.ttl/time.Second)))
	} else if d := parseCC(cc); d.private || d.noStore {
		return
	}
	if len(w.tags) > 0 {
		if w.h.cfg.surrogate {
			out.Set("Surrogate-Key", strings.Join(w.tags, " "))
		}
		if w.h.cfg.cacheTag {
			out.Set("Cache-Tag", strings.Join(w.tags, ","))
		}
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.skip {
		if len(w.buf)+len(b) > w.h.cfg.maxBody {
			w.skip, w.buf = true, nil
		} else {
			w.buf = append(w.buf, b...)
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *recorder) Flush() {
	w.skip = true // a stream: never stored
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Tag adds tags to the response being produced, for a handler that knows
// them only while it runs. It does nothing outside the response cache.
func Tag(c *covet.Context, tags ...string) {
	for w := c.Response().Writer(); w != nil; {
		if rw, ok := w.(*recorder); ok {
			rw.tags = append(rw.tags, tags...)
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// pass runs the handler with the headers a stored response would have had
// (the route's Cache-Control, the CDN tag headers), without buffering or
// storing the body: AdmitRepeats' first request for a URL answers as a
// fill does, so CDNs and browsers see no difference.
func (h *HTTPCache) pass(c *covet.Context, next covet.HandlerFunc, rc *routeConf) error {
	res := c.Response()
	rec := &recorder{ResponseWriter: res.Writer(), h: h, rc: rc, skip: true}
	if rc.tags != nil {
		rec.tags = rc.tags(c)
	}
	res.SetWriter(rec)
	err := next(c)
	res.SetWriter(rec.ResponseWriter)
	return err
}

// fill runs the handler, recording the response, and stores it if allowed.
// st is the lookup's stamp when it read the epoch from Redis.
func (h *HTTPCache) fill(c *covet.Context, next covet.HandlerFunc, rc *routeConf, key []byte, st stamp) error {
	res := c.Response()
	before := make(map[string]bool, len(res.Header()))
	for k := range res.Header() {
		before[k] = true
	}
	rec := &recorder{ResponseWriter: res.Writer(), h: h, rc: rc}
	if rc != nil && rc.tags != nil {
		rec.tags = append(rec.tags, rc.tags(c)...)
	}
	if !st.taken {
		st = h.c.stampNow(c.Context())
	}
	res.SetWriter(rec)
	err := next(c)
	res.SetWriter(rec.ResponseWriter)
	if err != nil || rec.skip || rec.status == 0 {
		return err
	}
	h.store(c, rec, before, rc, key, st)
	return nil
}

// store decides whether rec may be stored and stores it.
func (h *HTTPCache) store(c *covet.Context, rec *recorder, before map[string]bool, rc *routeConf, key []byte, st stamp) {
	hdr := rec.hdr
	if !h.cfg.statuses[rec.status] || len(hdr["Set-Cookie"]) > 0 || len(hdr["Content-Range"]) > 0 {
		return
	}
	if ct := hdr.Get("Content-Type"); strings.HasPrefix(ct, "text/event-stream") {
		return
	}
	d := parseCC(hdr["Cache-Control"])
	if d.noStore || d.private || d.noCache {
		return
	}
	var ttl time.Duration
	switch {
	case d.sMaxAge >= 0:
		ttl = time.Duration(d.sMaxAge) * time.Second
	case d.maxAge >= 0:
		ttl = time.Duration(d.maxAge) * time.Second
	case len(hdr["Expires"]) > 0:
		if t, err := http.ParseTime(hdr["Expires"][0]); err == nil {
			ttl = time.Until(t)
		}
	case rc != nil && rc.ttl > 0:
		ttl = rc.ttl
	default:
		ttl = h.cfg.defaultTTL
	}
	var initialAge time.Duration
	if a := hdr["Age"]; len(a) > 0 {
		initialAge = time.Duration(atoiOr(a[0], 0)) * time.Second
	}
	ttl -= initialAge
	if ttl <= 0 {
		return
	}
	var vary []string
	for _, v := range hdr["Vary"] {
		for _, n := range strings.Split(v, ",") {
			n = http.CanonicalHeaderKey(strings.TrimSpace(n))
			if n == "*" {
				return
			}
			if n != "" && !slices.Contains(vary, n) {
				vary = append(vary, n)
			}
		}
	}
	now := time.Now()
	s := &stored{status: rec.status, body: rec.buf, date: now.Add(-initialAge).UnixNano(), tags: rec.tags}
	if s.body == nil {
		s.body = []byte{}
	}
	s.etag = hdr.Get("Etag")
	if s.etag == "" && rec.status == http.StatusOK {
		sum := sha256.Sum256(s.body)
		s.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
		hdr.Set("Etag", s.etag)
	}
	if lm := hdr.Get("Last-Modified"); lm != "" {
		s.lastMod, _ = http.ParseTime(lm)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(s.body)))
	s.hdr, s.vary = buildBlock(hdr, before)
	// Store: under the primary key, or, when the response varies, a marker
	// there and the response under the key completed by the Vary values.
	ctx := c.Context()
	fresh := now.Add(ttl).UnixNano()
	if len(vary) > 0 {
		h.c.put(ctx, string(key), &varyMarker{names: vary}, fresh, nil, st)
		key = appendVary(key, vary, c.Request().Header)
	}
	if h.c.put(ctx, string(key), s, fresh, s.tags, st) {
		h.st.stores.Add(1)
	}
}

// buildBlock is the header block of a hit: the response's headers less
// those never stored and those set by middleware outside the cache before
// it ran (theirs on every request).
func buildBlock(hdr http.Header, before map[string]bool) ([]headerKV, int) {
	var kvs []headerKV
	for k, v := range hdr {
		if notStored[k] || (before[k] && k != "Vary") {
			continue
		}
		v = slices.Clone(v)
		kvs = append(kvs, headerKV{k: k, v: v[:len(v):len(v)]})
	}
	slices.SortFunc(kvs, func(a, b headerKV) int { return strings.Compare(a.k, b.k) })
	return kvs, slices.IndexFunc(kvs, func(kv headerKV) bool { return kv.k == "Vary" })
}

// put stores a response-cache value in L1 and Redis, unless an
// invalidation happened since st (then it reports false).
func (c *Cache) put(ctx context.Context, key string, v any, fresh int64, tags []string, st stamp) bool {
	e := &entry{value: v, fresh: fresh, gen: st.gen, tags: tags}
	if c.rdb != nil {
		e.raw = encodeHTTP(v)
		if !c.l2Set(ctx, key, e, time.Duration(fresh-time.Now().UnixNano()), false, st) {
			c.st.staleWrites.Add(1)
			return false
		}
		c.stored(e, st)
	}
	if c.valid(e) {
		c.l1.Set(key, e)
		return true
	}
	return false
}

// wireHTTP is the Redis form of stored and varyMarker.
type wireHTTP struct {
	Vary   []string            `json:"vary,omitempty"`
	Status int                 `json:"status,omitempty"`
	Header map[string][]string `json:"header,omitempty"`
	Body   []byte              `json:"body,omitempty"`
	Date   int64               `json:"date,omitempty"`
	Tags   []string            `json:"tags,omitempty"`
	Marker bool                `json:"marker,omitempty"`
}

func encodeHTTP(v any) []byte {
	var w wireHTTP
	switch v := v.(type) {
	case *varyMarker:
		w = wireHTTP{Marker: true, Vary: v.names}
	case *stored:
		w = wireHTTP{Status: v.status, Header: map[string][]string{}, Body: v.body, Date: v.date, Tags: v.tags}
		for _, kv := range v.hdr {
			w.Header[kv.k] = kv.v
		}
	}
	b, _ := json.Marshal(w)
	return b
}

func decodeHTTP(raw []byte) (any, bool) {
	var w wireHTTP
	if json.Unmarshal(raw, &w) != nil {
		return nil, false
	}
	if w.Marker {
		return &varyMarker{names: w.Vary}, true
	}
	hdr := http.Header(w.Header)
	s := &stored{status: w.Status, body: w.Body, date: w.Date, tags: w.Tags, etag: hdr.Get("Etag")}
	if s.body == nil {
		s.body = []byte{}
	}
	if lm := hdr.Get("Last-Modified"); lm != "" {
		s.lastMod, _ = http.ParseTime(lm)
	}
	s.hdr, s.vary = buildBlock(hdr, nil)
	return s, true
}
