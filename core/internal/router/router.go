// Package router is Covet's route matcher: httprouter's trees (tree.go) plus the layers,
// shapes, converters and path cleaning that let it hold every pattern Covet
// accepts. It does not import covet: a Router holds entries that carry the
// caller's route pointer, and covet's router.go is the glue.
package router

import (
	"errors"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"

	"github.com/julienschmidt/httprouter"
)

// The router keeps httprouter as the matcher and adds what httprouter v1.3.0
// refuses:
//
//   - Routes without parameters go into the first httprouter tree like any
//     other; one that httprouter refuses there (a static segment beside a
//     parameter: /users/me beside /users/{id}) goes into an exact-match map.
//     A static match always wins over a parameter match of the same method,
//     and costs no allocation.
//   - Parameter routes are stored in httprouter under a "shape" with
//     positional parameter names (/users/:p1/posts), so different names at one
//     position share a node.
//   - Routes that differ only in their converters share a node; its candidates
//     are tried from the most specific converter to the least.
//   - Routes httprouter cannot hold together (a parameter beside a static
//     segment, a catch-all beside anything) go to another httprouter tree (a
//     layer). A lookup asks every layer and keeps the most specific match.
type Router struct {
	// static holds the static routes httprouter refused, by path then method.
	static map[string]map[string]*Entry
	// staticLens has bit n set when static holds a path of length n (n < 256;
	// longer paths set bit 255), so most lookups skip hashing the path.
	staticLens [4]uint64
	// statics maps "METHOD /path" to every static route, for conflicts.
	statics map[string]*Entry
	layers  []*layer
	methods []string // every method with at least one route, for Allow
	// single is the only tree when there is one layer and no static map:
	// the common case, served by a shorter path. Set by finalize.
	single *tree
	// exact maps the path of every static route in single to its entries
	// by methodSlot, so a static lookup is one map access instead of a walk
	// down the tree (about 250 instructions less for /user/repos among the
	// GitHub routes); exactLens filters by length as staticLens does. Set by
	// Finalize, only with single.
	exact     map[string]*[len(tree{}.roots)]*Entry
	exactLens [4]uint64
	// maxParams is the most parameters of one route (set by Finalize).
	maxParams int
}

// Entry is one route as the router sees it: its method, parsed pattern and
// dot-segment policy, and the caller's route value.
type Entry struct {
	Method string
	Pat    *Pattern
	// DotSegments lets parameters hold dot-segments (covet.AllowDotSegments).
	DotSegments bool
	// Route is the caller's route (a *covet.Route), in an interface: the
	// caller reads it back with a type assertion, a comparison of the type
	// word, and needs no unsafe conversion. Against the unsafe.Pointer it
	// replaced, that costs 0.3 % on GitHubAll (226,882 against 226,160
	// instructions per 203 lookups, two runs each, `cd core &&
	// ../scripts/instr-per-op.sh . 'Router/table=GitHubAll/router=covet$'
	// 2000`). A type parameter (Router[R]) cost 1 % (305,240 against
	// 302,471, measured before the tree copy).
	Route any
}

type layer struct {
	hr      *tree
	entries []layerEntry
	nodes   map[string]*node // method+" "+shape → node
}

type layerEntry struct {
	method, shape string
	n             *node
}

// node is what a tree leaf holds: the routes sharing one shape, most
// specific converter first.
type node struct {
	cands []*Entry
}

// Probe is the scratch space of lookups: the parameter buffers the trees
// write into. The caller keeps one per request (covet's Context), so a lookup
// allocates nothing; the Params a lookup returns stay valid until the next
// lookup with the same Probe.
type Probe struct {
	bufs [2]httprouter.Params
}

// buf returns buffer i, grown to hold n parameters.
func (p *Probe) buf(i, n int) httprouter.Params {
	if cap(p.bufs[i]) < n {
		p.bufs[i] = make(httprouter.Params, 0, max(n, 4))
	}
	return p.bufs[i]
}

// New returns an empty router.
func New() *Router {
	return &Router{static: map[string]map[string]*Entry{}, statics: map[string]*Entry{}}
}

func newLayer() *layer {
	return &layer{hr: &tree{}, nodes: map[string]*node{}}
}

// Finalize prepares the router for serving; call it after the last Add.
func (r *Router) Finalize() {
	r.single = nil
	r.maxParams = 0
	for _, l := range r.layers {
		r.maxParams = max(r.maxParams, l.hr.maxParams)
	}
	r.exact, r.exactLens = nil, [4]uint64{}
	if len(r.layers) == 1 && len(r.static) == 0 {
		r.single = r.layers[0].hr
		r.buildExact(r.layers[0])
	}
}

// buildExact fills r.exact with l's static routes of the common methods.
// The tree finds exactly these entries for exactly these paths: a static
// match beats any parameter, and the route's node has it as its only
// candidate (TestExactAgainstTree checks it).
func (r *Router) buildExact(l *layer) {
	for _, le := range l.entries {
		i := methodSlot(le.method)
		if i < 0 || len(le.n.cands) != 1 || !le.n.cands[0].Pat.static || strings.ContainsAny(le.shape, ":*") {
			continue
		}
		if r.exact == nil {
			r.exact = map[string]*[len(tree{}.roots)]*Entry{}
		}
		es := r.exact[le.shape]
		if es == nil {
			es = new([len(tree{}.roots)]*Entry)
			r.exact[le.shape] = es
		}
		es[i] = le.n.cands[0]
		n := min(len(le.shape), 255)
		r.exactLens[n/64] |= 1 << (n % 64)
	}
}

// ErrUnstorable is returned by Add for a route no httprouter tree can hold.
var ErrUnstorable = errors.New("route cannot be stored by the router")

// Add inserts a route. On a real conflict it returns the entry already
// registered; on a route no tree can hold, ErrUnstorable.
func (r *Router) Add(e *Entry) (conflict *Entry, err error) {
	if !slices.Contains(r.methods, e.Method) {
		r.methods = append(r.methods, e.Method)
	}
	p := e.Pat
	if p.static {
		key := e.Method + " " + p.Raw
		if old := r.statics[key]; old != nil {
			return old, nil
		}
		r.statics[key] = e
		if len(r.layers) == 0 {
			r.layers = append(r.layers, newLayer())
		}
		if r.layers[0].tryAdd(e.Method, p.Raw, &node{cands: []*Entry{e}}) {
			return nil, nil
		}
		byMethod := r.static[p.Raw]
		if byMethod == nil {
			byMethod = map[string]*Entry{}
			r.static[p.Raw] = byMethod
		}
		byMethod[e.Method] = e
		n := min(len(p.Raw), 255)
		r.staticLens[n/64] |= 1 << (n % 64)
		return nil, nil
	}
	key := e.Method + " " + p.shape
	// Same shape in a layer: join that node, unless the converters are identical.
	for _, l := range r.layers {
		if n := l.nodes[key]; n != nil {
			for _, c := range n.cands {
				if c.Pat.key() == p.key() {
					return c, nil
				}
			}
			n.cands = append(n.cands, e)
			slices.SortStableFunc(n.cands, func(a, b *Entry) int { return CompareRank(a.Pat.rank, b.Pat.rank) })
			return nil, nil
		}
	}
	n := &node{cands: []*Entry{e}}
	for _, l := range r.layers {
		if l.tryAdd(e.Method, p.shape, n) {
			return nil, nil
		}
	}
	l := newLayer()
	if !l.tryAdd(e.Method, p.shape, n) {
		return nil, ErrUnstorable
	}
	r.layers = append(r.layers, l)
	return nil, nil
}

// tryAdd adds a shape to the layer's tree; on a conflict (the tree panics as
// httprouter does) the layer is rebuilt without it (the tree may have split
// nodes before it panicked) and false is returned.
func (l *layer) tryAdd(method, shape string, n *node) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
			l.rebuild()
		}
	}()
	l.hr.add(method, shape, n)
	l.entries = append(l.entries, layerEntry{method: method, shape: shape, n: n})
	l.nodes[method+" "+shape] = n
	return true
}

func (l *layer) rebuild() {
	l.hr = &tree{}
	for _, e := range l.entries {
		l.hr.add(e.method, e.shape, e.n)
	}
}

// Find resolves method and path to a route's entry and its parameters, or
// nil. p is scratch space for the lookup (one per request); the parameters
// live in it until its next lookup.
func (r *Router) Find(p *Probe, method, path string) (*Entry, httprouter.Params) {
	if t := r.single; t != nil {
		// Written out here rather than in findExact and a findSingle: the
		// two calls cost about 50 instructions per lookup.
		if n := min(len(path), 255); r.exactLens[n/64]&(1<<(n%64)) != 0 {
			if es := r.exact[path]; es != nil {
				if i := methodSlot(method); i >= 0 && es[i] != nil {
					return es[i], nil
				}
			}
		}
		n, ps := t.lookup(method, path, p.buf(0, r.maxParams))
		if n == nil {
			return nil, nil
		}
		for _, e := range n.cands {
			if e.accepts(ps) {
				return e, ps
			}
		}
		return nil, nil
	}
	return r.findLayers(p, method, path)
}

// findLayers is find for several trees or a static map: every tree is asked
// and the most specific match wins. The best match's parameters stay in one
// of the probe's buffers while the next tree writes into the other.
func (r *Router) findLayers(p *Probe, method, path string) (*Entry, httprouter.Params) {
	var best *Entry
	var bestPs httprouter.Params
	scratch := 0
	for _, l := range r.layers {
		n, ps := l.hr.lookup(method, path, p.buf(scratch, r.maxParams))
		if n == nil {
			continue
		}
		for _, e := range n.cands {
			if e.accepts(ps) {
				if best == nil || CompareRank(e.Pat.rank, best.Pat.rank) < 0 {
					best, bestPs = e, ps
					scratch = 1 - scratch
				}
				break
			}
		}
		if best != nil && best.Pat.static {
			break // nothing is more specific than a static match
		}
	}
	if best == nil || !best.Pat.static {
		if e := r.findStatic(method, path); e != nil {
			best, bestPs = e, nil
		}
	}
	return best, bestPs
}

// findStatic looks path up among the static routes httprouter refused.
func (r *Router) findStatic(method, path string) *Entry {
	n := min(len(path), 255)
	if r.staticLens[n/64]&(1<<(n%64)) == 0 {
		return nil
	}
	return r.static[path][method]
}

// accepts reports whether every parameter value passes its converter and is
// clean: no parameter is "." or "..", and a {p:path} value has no empty, "."
// or ".." segment, unless the route allows them (AllowDotSegments).
// Patterns have no dot or empty segments, so a route matches an unclean path
// only through a parameter: this check keeps unclean paths away from
// handlers, and dispatch redirects them to their clean form. A {name} value
// is one segment, so it costs a byte comparison; only {p:path} values are
// scanned.
func (e *Entry) accepts(ps httprouter.Params) bool {
	params := e.Pat.Params
	if len(ps) != len(params) {
		return false
	}
	if e.Pat.plain {
		// Only {name} parameters: httprouter never gives a value with '/',
		// but may give an empty one (/a//b).
		for i := range ps {
			v := ps[i].Value
			if v == "" || (v[0] == '.' || backslashSeparates) && !e.DotSegments && dotSegment(v) {
				return false
			}
		}
		return true
	}
	for i := range params {
		v := ps[i].Value
		k := params[i].Kind
		if k != Path {
			if !k.Accepts(v) || v != "" && (v[0] == '.' || backslashSeparates) && !e.DotSegments && dotSegment(v) {
				return false
			}
			continue
		}
		if !e.DotSegments && uncleanRest(v) {
			return false
		}
	}
	return true
}

// CleanValue reports whether v, as the value of a parameter of kind k,
// leaves the path clean, as accepts requires: no "." or ".." value, no
// empty, "." or ".." segment in a {p:path} value, unless the route allows
// dot-segments. App.URL refuses the others: the path it built was
// redirected elsewhere by dispatch, or, as a link, resolved by the browser
// to another route ("/files/../../admin").
func CleanValue(k Kind, v string, dotSegments bool) bool {
	if dotSegments {
		return true
	}
	if k == Path {
		return !uncleanRest("/" + v)
	}
	return !(v != "" && (v[0] == '.' || backslashSeparates) && dotSegment(v))
}

// backslashSeparates is true where file paths take '\' as a separator: a
// {name} value such as a\..\..\x is scanned there. Elsewhere a {name}
// value with a dot-segment after a backslash starts with '.' (..\x) or is
// a plain file name.
const backslashSeparates = runtime.GOOS == "windows"

// dotSegment reports whether a {name} value is "." or "..", or holds a ".."
// segment after a backslash (which some file APIs read as a separator).
func dotSegment(v string) bool {
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] != '\\' {
			continue
		}
		n := i - start
		if n == 2 && v[start] == '.' && v[start+1] == '.' || n == 1 && v[start] == '.' && len(v) == 1 {
			return true
		}
		start = i + 1
	}
	return false
}

// uncleanRest reports whether a {p:path} value (httprouter's catch-all
// value: "/" and the rest of the path) has an empty segment (but the last)
// or a "." or ".." segment, between slashes or backslashes. One pass.
func uncleanRest(v string) bool {
	start := 1 // after the leading '/'
	for i := 1; i <= len(v); i++ {
		if i < len(v) {
			if c := v[i]; c != '/' && c != '\\' {
				continue
			}
		}
		switch i - start {
		case 0:
			if i < len(v) && v[i] == '/' {
				return true // "//"
			}
		case 1:
			if v[start] == '.' {
				return true
			}
		case 2:
			if v[start] == '.' && v[start+1] == '.' {
				return true
			}
		}
		start = i + 1
	}
	return false
}

// UncleanPath reports whether an absolute request path holds an empty
// segment or a "." or ".." segment: what CleanPath would change.
func UncleanPath(p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return false
	}
	return httprouter.CleanPath(p) != p
}

// CleanPath is httprouter.CleanPath: the path with empty, "." and ".."
// segments resolved.
func CleanPath(p string) string { return httprouter.CleanPath(p) }

// Allowed lists the methods that have a route matching path, in the order of
// known then of registration, with HEAD implied by GET and OPTIONS added when
// autoOptions is set.
func (r *Router) Allowed(p *Probe, known []string, path string, autoOptions bool) []string {
	var out []string
	for _, m := range known {
		switch {
		case r.HasMethod(m) && r.found(p, m, path):
		case m == http.MethodHead && r.HasMethod(http.MethodGet) && r.found(p, http.MethodGet, path):
		default:
			continue
		}
		out = append(out, m)
	}
	for _, m := range r.methods {
		if !slices.Contains(known, m) && r.found(p, m, path) {
			out = append(out, m)
		}
	}
	if autoOptions && len(out) > 0 && !slices.Contains(out, http.MethodOptions) {
		out = append(out, http.MethodOptions)
	}
	return out
}

func (r *Router) found(p *Probe, method, path string) bool {
	e, _ := r.Find(p, method, path)
	return e != nil
}

// HasMethod reports whether some route has method m.
func (r *Router) HasMethod(m string) bool { return slices.Contains(r.methods, m) }

// RedirectTarget returns a path to redirect to when path has no route but its
// trailing-slash twin or its cleaned form has one; "" otherwise.
func (r *Router) RedirectTarget(p *Probe, method, path string) string {
	if path == "" || path[0] != '/' {
		return ""
	}
	var candidates [3]string
	n := 0
	if len(path) > 1 && strings.HasSuffix(path, "/") {
		candidates[n] = path[:len(path)-1]
	} else {
		candidates[n] = path + "/"
	}
	n++
	if clean := httprouter.CleanPath(path); clean != path {
		candidates[n] = clean
		n++
		if len(clean) > 1 && strings.HasSuffix(clean, "/") {
			candidates[n] = clean[:len(clean)-1]
		} else {
			candidates[n] = clean + "/"
		}
		n++
	}
	lookup := method
	if method == http.MethodHead && !r.HasMethod(http.MethodHead) {
		lookup = http.MethodGet
	}
	for _, cand := range candidates[:n] {
		if !SafeLocalPath(cand) {
			continue
		}
		if r.found(p, lookup, cand) || (lookup == http.MethodHead && r.found(p, http.MethodGet, cand)) {
			return cand
		}
	}
	return ""
}

// SafeLocalPath reports whether p can be used as a redirect Location without
// sending the client to another host: it must start with exactly one '/', and
// not with "//" or "/\" (which browsers read as a host).
func SafeLocalPath(p string) bool {
	return len(p) > 0 && p[0] == '/' && (len(p) == 1 || p[1] != '/' && p[1] != '\\')
}

// RedirectLocation builds the Location for a path redirect, escaping the path
// and keeping the query.
func RedirectLocation(path, rawQuery string) string {
	loc := (&url.URL{Path: path}).EscapedPath()
	if !SafeLocalPath(loc) {
		return "/"
	}
	if rawQuery != "" {
		loc += "?" + rawQuery
	}
	return loc
}

// Miss is the answer to a request no route matched.
type Miss uint8

// The answers to a request no route matched.
const (
	MissNotFound Miss = iota + 1
	MissMethod        // 405: other methods have a route (Allow)
	MissOptions       // automatic OPTIONS answer
	MissRedirect      // to the clean path, or the trailing-slash twin
	MissBadQuery      // too many query parameters
)

// Unmatched decides the answer to a request no route matched: a redirect of
// an unclean path to its clean form (or, with redirectSlash, to the clean
// form's twin when only that has a route), 405 or automatic OPTIONS with
// the allowed methods, a redirect to the trailing-slash twin (redirectSlash),
// or 404. target is the unescaped path to redirect to.
func (r *Router) Unmatched(p *Probe, known []string, method, path string, autoOptions, redirectSlash bool) (m Miss, allowed []string, target string) {
	if method != http.MethodConnect && UncleanPath(path) {
		// No parameter may hold a dot-segment or an empty segment, and
		// patterns have none.
		target = CleanPath(path)
		if redirectSlash {
			lookup := method
			if method == http.MethodHead && !r.HasMethod(http.MethodHead) {
				lookup = http.MethodGet
			}
			if !r.found(p, lookup, target) && len(r.Allowed(p, known, target, false)) == 0 {
				if twin := r.RedirectTarget(p, method, target); twin != "" {
					target = twin
				}
			}
		}
		return MissRedirect, nil, target
	}
	if allowed = r.Allowed(p, known, path, autoOptions); len(allowed) > 0 {
		if method == http.MethodOptions && autoOptions {
			return MissOptions, allowed, ""
		}
		return MissMethod, allowed, ""
	}
	if redirectSlash && method != http.MethodConnect {
		if target = r.RedirectTarget(p, method, path); target != "" {
			return MissRedirect, nil, target
		}
	}
	return MissNotFound, nil, ""
}
