package covet_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/julienschmidt/httprouter"
)

// Router benchmarks: Covet and raw httprouter side by side on the same route
// tables, each lookup through ServeHTTP with a reused request and a no-op
// ResponseWriter (the method of the project's routing anchors). Compare with
//
//	go test -run '^$' -bench 'Router' -benchmem -count 8 -cpu 1 . | tee bench.txt
//	benchstat -col /router bench.txt

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

func covetPattern(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		} else if strings.HasPrefix(s, "*") {
			parts[i] = "{" + s[1:] + ":path}"
		}
	}
	return strings.Join(parts, "/")
}

// concrete turns a pattern into a request path with values.
func concrete(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = s[1:] + "-1"
		}
	}
	return strings.Join(parts, "/")
}

type lookup struct {
	method, path string
}

func githubLookups() []lookup {
	out := make([]lookup, len(githubAPI))
	for i, r := range githubAPI {
		out[i] = lookup{r.method, concrete(r.path)}
	}
	return out
}

func synthetic1000() (routes []lookup, lookups []lookup) {
	for i := 0; i < 100; i++ {
		for j := 0; j < 10; j++ {
			routes = append(routes, lookup{"GET", "/resource" + strconv.Itoa(i) + "/:id/sub" + strconv.Itoa(j)})
			lookups = append(lookups, lookup{"GET", "/resource" + strconv.Itoa(i) + "/42/sub" + strconv.Itoa(j)})
		}
	}
	return
}

func newCovetRouter(routes []lookup) http.Handler {
	app := covet.New()
	nop := func(*covet.Context) error { return nil }
	for _, r := range routes {
		app.Handle(r.method, covetPattern(r.path), nop)
	}
	return app
}

func newHTTPRouter(routes []lookup) http.Handler {
	r := httprouter.New()
	nop := func(http.ResponseWriter, *http.Request, httprouter.Params) {}
	for _, rt := range routes {
		r.Handle(rt.method, rt.path, nop)
	}
	return r
}

func githubRoutes() []lookup {
	out := make([]lookup, len(githubAPI))
	for i, r := range githubAPI {
		out[i] = lookup{r.method, r.path}
	}
	return out
}

func runLookups(b *testing.B, h http.Handler, ls []lookup) {
	w := &nopWriter{h: http.Header{}}
	req, _ := http.NewRequest("GET", "/", nil)
	u := req.URL
	// Warm up pools.
	for _, l := range ls {
		req.Method, u.Path, req.RequestURI = l.method, l.path, l.path
		h.ServeHTTP(w, req)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range ls {
			req.Method, u.Path, req.RequestURI = l.method, l.path, l.path
			h.ServeHTTP(w, req)
		}
	}
}

func BenchmarkRouter(b *testing.B) {
	gh := githubRoutes()
	syn, synLookups := synthetic1000()
	tables := []struct {
		name    string
		routes  []lookup
		lookups []lookup
	}{
		{"table=GitHubAll", gh, githubLookups()},
		{"table=GitHubStatic", gh, []lookup{{"GET", "/user/repos"}}},
		{"table=GitHubParam1", gh, []lookup{{"GET", "/gists/123"}}},
		{"table=GitHubParam2", gh, []lookup{{"GET", "/repos/julienschmidt/httprouter/stargazers"}}},
		{"table=Synthetic1000All", syn, synLookups},
		{"table=Synthetic1000One", syn, []lookup{{"GET", "/resource57/42/sub3"}}},
	}
	for _, tb := range tables {
		b.Run(tb.name+"/router=httprouter", func(b *testing.B) { runLookups(b, newHTTPRouter(tb.routes), tb.lookups) })
		b.Run(tb.name+"/router=covet", func(b *testing.B) { runLookups(b, newCovetRouter(tb.routes), tb.lookups) })
	}
	catchAll := []lookup{{"GET", "/static/*filepath"}}
	b.Run("table=CatchAll/router=httprouter", func(b *testing.B) {
		runLookups(b, newHTTPRouter(catchAll), []lookup{{"GET", "/static/css/site.css"}})
	})
	b.Run("table=CatchAll/router=covet", func(b *testing.B) {
		runLookups(b, newCovetRouter(catchAll), []lookup{{"GET", "/static/css/site.css"}})
	})
}

// TestEveryRouteHits proves both routers dispatch every benchmark lookup to
// its own handler (no 404/405), so the benchmark compares equal work.
func TestEveryRouteHits(t *testing.T) {
	syn, synLookups := synthetic1000()
	for _, set := range []struct {
		routes, lookups []lookup
	}{{githubRoutes(), githubLookups()}, {syn, synLookups}} {
		app := covet.New()
		var hit string
		for _, r := range set.routes {
			key := r.method + " " + r.path
			app.Handle(r.method, covetPattern(r.path), func(*covet.Context) error { hit = key; return nil })
		}
		w := &nopWriter{h: http.Header{}}
		for i, l := range set.lookups {
			hit = ""
			req, _ := http.NewRequest(l.method, l.path, nil)
			app.ServeHTTP(w, req)
			if want := set.routes[i].method + " " + set.routes[i].path; hit != want {
				t.Fatalf("%s %s reached %q, want %q", l.method, l.path, hit, want)
			}
		}
	}
}
