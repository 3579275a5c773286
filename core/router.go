package covet

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unsafe"

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
type router struct {
	// static holds the static routes httprouter refused, by path then method.
	static map[string]map[string]*Route
	// staticLens has bit n set when static holds a path of length n (n < 256;
	// longer paths set bit 255), so most lookups skip hashing the path.
	staticLens [4]uint64
	// statics maps "METHOD /path" to every static route, for conflicts.
	statics map[string]*Route
	layers  []*layer
	methods []string // every method with at least one route, for Allow
	// single is the only tree when there is one layer and no static map:
	// the common case, served by a shorter path. Set by finalize.
	single *httprouter.Router
}

type layer struct {
	hr      *httprouter.Router
	entries []layerEntry
	nodes   map[string]*node // method+" "+shape → node
}

type layerEntry struct {
	method, shape string
	n             *node
}

// node is what a httprouter handle resolves to: the routes sharing one shape,
// most specific converter first.
type node struct {
	cands []*Route
}

// probe is passed to httprouter handles as their ResponseWriter: calling a
// handle records its node instead of serving.
type probe struct {
	n *node
}

func (p *probe) Header() http.Header       { return nil }
func (p *probe) Write([]byte) (int, error) { return 0, nil }
func (p *probe) WriteHeader(int)           {}

func newRouter() *router {
	return &router{static: map[string]map[string]*Route{}, statics: map[string]*Route{}}
}

func newLayer() *layer {
	return &layer{hr: &httprouter.Router{}, nodes: map[string]*node{}}
}

func (n *node) handle() httprouter.Handle {
	return func(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
		w.(*probe).n = n
	}
}

// handleClosure is the memory layout of the closure node.handle returns: the
// code pointer, then the captured node.
type handleClosure struct {
	fn uintptr
	n  *node
}

// closureLayoutOK records, once, whether a handle's node can be read from the
// closure without calling it (it saves an indirect call and a pointer store
// per request). The check runs on a real closure, so a compiler that lays
// closures out differently makes nodeOf fall back to calling the handle.
var closureLayoutOK = func() bool {
	n := &node{}
	h := n.handle()
	return (*handleClosure)(*(*unsafe.Pointer)(unsafe.Pointer(&h))).n == n
}()

// nodeOf returns the node behind a handle made by node.handle.
func (c *Context) nodeOf(h httprouter.Handle) *node {
	if closureLayoutOK {
		return (*handleClosure)(*(*unsafe.Pointer)(unsafe.Pointer(&h))).n
	}
	h(&c.probe, nil, nil)
	return c.probe.n
}

// finalize prepares the router for serving.
func (r *router) finalize() {
	r.single = nil
	if len(r.layers) == 1 && len(r.static) == 0 {
		r.single = r.layers[0].hr
	}
}

// add inserts a route; it panics with a precise message on a real conflict.
func (r *router) add(rt *Route) {
	if !slices.Contains(r.methods, rt.method) {
		r.methods = append(r.methods, rt.method)
	}
	p := rt.pat
	if p.static {
		key := rt.method + " " + p.raw
		if old := r.statics[key]; old != nil {
			panic(conflictMessage(rt, old))
		}
		r.statics[key] = rt
		if len(r.layers) == 0 {
			r.layers = append(r.layers, newLayer())
		}
		if r.layers[0].tryAdd(rt.method, p.raw, &node{cands: []*Route{rt}}) {
			return
		}
		byMethod := r.static[p.raw]
		if byMethod == nil {
			byMethod = map[string]*Route{}
			r.static[p.raw] = byMethod
		}
		byMethod[rt.method] = rt
		n := min(len(p.raw), 255)
		r.staticLens[n/64] |= 1 << (n % 64)
		return
	}
	key := rt.method + " " + p.shape
	// Same shape in a layer: join that node, unless the converters are identical.
	for _, l := range r.layers {
		if n := l.nodes[key]; n != nil {
			for _, c := range n.cands {
				if c.pat.key() == p.key() {
					panic(conflictMessage(rt, c))
				}
			}
			n.cands = append(n.cands, rt)
			slices.SortStableFunc(n.cands, func(a, b *Route) int { return compareRank(a.pat.rank, b.pat.rank) })
			return
		}
	}
	n := &node{cands: []*Route{rt}}
	for _, l := range r.layers {
		if l.tryAdd(rt.method, p.shape, n) {
			return
		}
	}
	l := newLayer()
	if !l.tryAdd(rt.method, p.shape, n) {
		panic(fmt.Sprintf("covet: route %s cannot be stored by the router", rt.info.String()))
	}
	r.layers = append(r.layers, l)
}

// tryAdd adds a shape to the layer's httprouter; on a httprouter conflict the
// layer is rebuilt without it (httprouter may have split nodes before it
// panicked) and false is returned.
func (l *layer) tryAdd(method, shape string, n *node) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
			l.rebuild()
		}
	}()
	l.hr.Handle(method, shape, n.handle())
	l.entries = append(l.entries, layerEntry{method: method, shape: shape, n: n})
	l.nodes[method+" "+shape] = n
	return true
}

func (l *layer) rebuild() {
	l.hr = &httprouter.Router{}
	for _, e := range l.entries {
		l.hr.Handle(e.method, e.shape, e.n.handle())
	}
}

func conflictMessage(rt, old *Route) string {
	return fmt.Sprintf("covet: route %s conflicts with route %s registered at %s:%d",
		rt.info.String(), old.info.Method+" "+old.info.Pattern, old.info.File, old.info.Line)
}

// find resolves method and path to a route, or nil. On success it stores the
// route's parameters in c.
func (r *router) find(c *Context, method, path string) *Route {
	if r.single != nil {
		h, ps, _ := r.single.Lookup(method, path)
		if h == nil {
			return nil
		}
		for _, rt := range c.nodeOf(h).cands {
			if rt.accepts(ps) {
				c.params = ps
				return rt
			}
		}
		return nil
	}
	return r.findLayers(c, method, path)
}

// findLayers is find for several trees or a static map: every tree is asked
// and the most specific match wins.
func (r *router) findLayers(c *Context, method, path string) *Route {
	var best *Route
	var bestPs httprouter.Params
	for _, l := range r.layers {
		h, ps, _ := l.hr.Lookup(method, path)
		if h == nil {
			continue
		}
		for _, rt := range c.nodeOf(h).cands {
			if rt.accepts(ps) {
				if best == nil || compareRank(rt.pat.rank, best.pat.rank) < 0 {
					best, bestPs = rt, ps
				}
				break
			}
		}
		if best != nil && best.pat.static {
			break // nothing is more specific than a static match
		}
	}
	if best == nil || !best.pat.static {
		if rt := r.findStatic(method, path); rt != nil {
			best, bestPs = rt, nil
		}
	}
	c.params = bestPs
	return best
}

// findStatic looks path up among the static routes httprouter refused.
func (r *router) findStatic(method, path string) *Route {
	n := min(len(path), 255)
	if r.staticLens[n/64]&(1<<(n%64)) == 0 {
		return nil
	}
	return r.static[path][method]
}

// accepts reports whether every parameter value passes its converter, and
// that none is a dot-segment ("." or "..") or holds a ".." segment, unless
// the route allows them (AllowDotSegments).
func (rt *Route) accepts(ps httprouter.Params) bool {
	params := rt.pat.params
	if len(ps) != len(params) {
		return false
	}
	if rt.pat.plain {
		// Only {name} parameters: httprouter never gives a value with '/',
		// but may give an empty one (/a//b).
		for i := range ps {
			v := ps[i].Value
			if v == "" || strings.IndexByte(v, '.') >= 0 && !rt.dotSegments && dotSegment(v) {
				return false
			}
		}
		return true
	}
	for i := range params {
		v := ps[i].Value
		if k := params[i].Kind; k != ParamPath && !k.accepts(v) {
			return false
		}
		if strings.IndexByte(v, '.') >= 0 && !rt.dotSegments && dotSegment(v) {
			return false
		}
	}
	return true
}

// dotSegment reports whether a parameter value is "." or "..", or holds a
// ".." segment between slashes or backslashes (which some file APIs read
// as separators).
func dotSegment(v string) bool {
	if v == "." || v == "/." {
		return true
	}
	for v != "" {
		seg := v
		if i := strings.IndexAny(v, `/\`); i >= 0 {
			seg, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		if seg == ".." {
			return true
		}
	}
	return false
}

// AllowDotSegments lets the route's path parameters be "." or ".." or hold
// ".." segments. By default such a value matches no route, so a handler that
// joins a parameter to a directory cannot be walked out of it. (Unclean
// request paths, with "/./", "/../" or "//", are redirected to their clean
// form before routing whatever this says.)
func AllowDotSegments() RouteOption {
	return func(r *Route) { r.mutable(); r.dotSegments = true }
}

// uncleanPath reports whether an absolute request path holds an empty
// segment or a "." or ".." segment: what CleanPath would change.
func uncleanPath(p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return false
	}
	return httprouter.CleanPath(p) != p
}

// redirectClean answers an unclean path with a redirect to its clean form
// (the trailing slash kept), or, under TrailingSlashRedirect, to the clean
// form's trailing-slash twin when only the twin has a route.
func (a *App) redirectClean(c *Context, method, path string) {
	target := httprouter.CleanPath(path)
	if a.cfg.trailingSlash == TrailingSlashRedirect {
		lookup := method
		if method == http.MethodHead && !a.router.hasMethod(http.MethodHead) {
			lookup = http.MethodGet
		}
		if a.router.find(c, lookup, target) == nil && len(a.router.allowed(c, target, false)) == 0 {
			if twin := a.router.redirectTarget(c, method, target); twin != "" {
				target = twin
			}
		}
		c.params = nil
	}
	c.route, c.dirty, c.miss = nil, true, missRedirect
	c.redirectTo = redirectLocation(target, c.req.URL.RawQuery)
}

// allowed lists the methods that have a route matching path, in Allow order,
// with HEAD implied by GET and OPTIONS added when autoOptions is set.
func (r *router) allowed(c *Context, path string, autoOptions bool) []string {
	var out []string
	for _, m := range knownMethods {
		switch {
		case r.hasMethod(m) && r.find(c, m, path) != nil:
		case m == http.MethodHead && r.hasMethod(http.MethodGet) && r.find(c, http.MethodGet, path) != nil:
		default:
			continue
		}
		out = append(out, m)
	}
	for _, m := range r.methods {
		if !slices.Contains(knownMethods, m) && r.find(c, m, path) != nil {
			out = append(out, m)
		}
	}
	if autoOptions && len(out) > 0 && !slices.Contains(out, http.MethodOptions) {
		out = append(out, http.MethodOptions)
	}
	c.params = nil
	return out
}

func (r *router) hasMethod(m string) bool { return slices.Contains(r.methods, m) }

// redirectTarget returns a path to redirect to when path has no route but its
// trailing-slash twin or its cleaned form has one; "" otherwise.
func (r *router) redirectTarget(c *Context, method, path string) string {
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
	if method == http.MethodHead && !r.hasMethod(http.MethodHead) {
		lookup = http.MethodGet
	}
	for _, cand := range candidates[:n] {
		if !safeLocalPath(cand) {
			continue
		}
		if r.find(c, lookup, cand) != nil || (lookup == http.MethodHead && r.find(c, http.MethodGet, cand) != nil) {
			c.params = nil
			return cand
		}
	}
	c.params = nil
	return ""
}

// safeLocalPath reports whether p can be used as a redirect Location without
// sending the client to another host: it must start with exactly one '/', and
// not with "//" or "/\" (which browsers read as a host).
func safeLocalPath(p string) bool {
	return len(p) > 0 && p[0] == '/' && (len(p) == 1 || p[1] != '/' && p[1] != '\\')
}

// redirectLocation builds the Location for a path redirect, escaping the path
// and keeping the query.
func redirectLocation(path, rawQuery string) string {
	loc := (&url.URL{Path: path}).EscapedPath()
	if !safeLocalPath(loc) {
		return "/"
	}
	if rawQuery != "" {
		loc += "?" + rawQuery
	}
	return loc
}
