package router

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/julienschmidt/httprouter"
)

// treePair holds the same routes in httprouter and in tree.go's copy of its
// tree, the oracle and the code under test.
type treePair struct {
	hr    *httprouter.Router
	t     tree
	hit   int
	nodes map[*node]int
	n     int
}

func newTreePair() *treePair {
	return &treePair{hr: &httprouter.Router{}, nodes: map[*node]int{}}
}

// add registers one route in both; both must accept it or both refuse it.
func (p *treePair) add(tb testing.TB, method, path string) {
	tb.Helper()
	i := p.n
	p.n++
	n := &node{}
	hrErr := catch(func() {
		p.hr.Handle(method, path, func(http.ResponseWriter, *http.Request, httprouter.Params) { p.hit = i })
	})
	tErr := catch(func() { p.t.add(method, path, n) })
	if hrErr != tErr {
		tb.Fatalf("add %s %s: httprouter panicked %q, tree panicked %q", method, path, hrErr, tErr)
	}
	if tErr == "" {
		p.nodes[n] = i
	}
}

// check looks path up in both and compares the route and the parameters.
// It reports whether a route was found.
func (p *treePair) check(tb testing.TB, buf httprouter.Params, method, path string) bool {
	tb.Helper()
	want, wantPs := -1, httprouter.Params(nil)
	if h, ps, _ := p.hr.Lookup(method, path); h != nil {
		p.hit = -1
		h(nil, nil, nil)
		want, wantPs = p.hit, ps
	}
	got, gotPs := -1, httprouter.Params(nil)
	if n, ps := p.t.lookup(method, path, buf); n != nil {
		got, gotPs = p.nodes[n], ps
	}
	if got != want {
		tb.Fatalf("%s %s: tree found route %d, httprouter route %d", method, path, got, want)
	}
	if want >= 0 && !slices.Equal(gotPs, wantPs) {
		tb.Fatalf("%s %s: tree params %v, httprouter params %v", method, path, gotPs, wantPs)
	}
	return want >= 0
}

func catch(f func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	f()
	return ""
}

// TestTreeAgainstHTTPRouter is the differential test of tree.go (a copy of
// httprouter's tree that writes parameters into a buffer): random route sets
// (static segments, parameters, catch-alls, several methods) are registered
// in both, with the same conflicts, and random paths must reach the same
// route with the same parameters.
func TestTreeAgainstHTTPRouter(t *testing.T) {
	segs := []string{"a", "ab", "abc", "b", "user", "users", ":id", ":name", ":x", "*rest"}
	pathSegs := []string{"a", "ab", "abc", "b", "user", "users", "", "x", "42", ".", "u/v"}
	methods := []string{"GET", "POST", "HEAD", "PROPFIND"}
	rng := rand.New(rand.NewPCG(21, 1))
	buf := make(httprouter.Params, 0, 1) // too small on purpose: append must still work
	found, params := 0, 0
	for round := 0; round < 300; round++ {
		p := newTreePair()
		for range 1 + rng.IntN(30) {
			var b strings.Builder
			for range 1 + rng.IntN(4) {
				b.WriteString("/" + segs[rng.IntN(len(segs))])
			}
			if rng.IntN(5) == 0 {
				b.WriteString("/")
			}
			p.add(t, methods[rng.IntN(len(methods))], b.String())
		}
		for range 300 {
			var b strings.Builder
			for range rng.IntN(6) {
				b.WriteString("/" + pathSegs[rng.IntN(len(pathSegs))])
			}
			if b.Len() == 0 || rng.IntN(6) == 0 {
				b.WriteString("/")
			}
			if p.check(t, buf, methods[rng.IntN(len(methods))], b.String()) {
				found++
				if strings.Count(b.String(), "/") > 1 {
					params++
				}
			}
		}
	}
	// The random paths must reach routes often enough to mean something.
	if found < 2000 || params < 1000 {
		t.Fatalf("only %d lookups found a route (%d of them deeper than one segment)", found, params)
	}
	t.Logf("%d of 90,000 lookups found a route", found)
}

// TestFindAllocatesNothing: with the probe's buffers, a lookup of a route
// with parameters allocates nothing (httprouter.Lookup allocates its Params).
func TestFindAllocatesNothing(t *testing.T) {
	r := New()
	for _, pat := range []string{"/users/{id}", "/users/{id}/posts/{post}", "/users/me", "/files/{p:path}"} {
		pt, err := Parse(pat)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Add(&Entry{Method: "GET", Pat: pt}); err != nil {
			t.Fatal(err)
		}
	}
	r.Finalize()
	var p Probe
	for _, path := range []string{"/users/42/posts/7", "/users/me", "/files/a/b"} {
		if e, _ := r.Find(&p, "GET", path); e == nil {
			t.Fatalf("GET %s: no route", path)
		}
		if n := testing.AllocsPerRun(100, func() { r.Find(&p, "GET", path) }); n != 0 {
			t.Errorf("GET %s: %v allocations per lookup, want 0", path, n)
		}
	}
	e, ps := r.Find(&p, "GET", "/users/42/posts/7")
	if e == nil || e.Pat.Raw != "/users/{id}/posts/{post}" || len(ps) != 2 || ps[0].Value != "42" || ps[1].Value != "7" {
		t.Fatalf("GET /users/42/posts/7: %v %v", e, ps)
	}
}

// TestExactAgainstTree: the static-route map Finalize builds for the single
// tree gives the same entry and parameter count as the tree for random
// route sets (static routes beside parameters, several methods) and random
// paths, the tree being asked with the map cleared.
func TestExactAgainstTree(t *testing.T) {
	segs := []string{"a", "ab", "abc", "b", "user", "users", "{id}", "{name}", "{n:int}"}
	pathSegs := []string{"a", "ab", "abc", "b", "user", "users", "", "x", "42"}
	methods := []string{"GET", "POST", "HEAD", "PROPFIND"}
	rng := rand.New(rand.NewPCG(21, 2))
	exactHits := 0
	for range 300 {
		r := New()
		var statics []string
		for range 1 + rng.IntN(20) {
			var b strings.Builder
			for range 1 + rng.IntN(3) {
				b.WriteString("/" + segs[rng.IntN(len(segs))])
			}
			pt, err := Parse(b.String())
			if err != nil {
				continue
			}
			if _, err := r.Add(&Entry{Method: methods[rng.IntN(len(methods))], Pat: pt}); err != nil {
				continue
			}
			if pt.static {
				statics = append(statics, b.String())
			}
		}
		r.Finalize()
		if r.single == nil {
			continue
		}
		noExact := *r
		noExact.exact, noExact.exactLens = nil, [4]uint64{}
		var p, q Probe
		for range 200 {
			var path string
			if len(statics) > 0 && rng.IntN(2) == 0 {
				path = statics[rng.IntN(len(statics))]
			} else {
				var b strings.Builder
				for range 1 + rng.IntN(3) {
					b.WriteString("/" + pathSegs[rng.IntN(len(pathSegs))])
				}
				path = b.String()
			}
			m := methods[rng.IntN(len(methods))]
			got, gotPs := r.Find(&p, m, path)
			want, wantPs := noExact.Find(&q, m, path)
			if got != want || len(gotPs) != len(wantPs) {
				t.Fatalf("%s %s: found %v (%d params), the tree %v (%d params)", m, path, got, len(gotPs), want, len(wantPs))
			}
			if got != nil && r.exact[path] != nil {
				exactHits++
			}
		}
	}
	if exactHits < 1000 {
		t.Fatalf("only %d lookups went through the static map", exactHits)
	}
}
