// Package routing holds the router micro-benchmarks: the same route tables
// registered in Covet, httprouter, chi, gin, echo and net/http's ServeMux,
// each lookup served through ServeHTTP with one reused request and a no-op
// ResponseWriter (the method of the project's routing anchors), so only
// routing and each router's per-request bookkeeping are measured.
//
// Tables: the 203 GitHub v3 API routes, 1000 synthetic routes
// (/resource<i>/:id/sub<j>), and single lookups of a static route, a route
// with one parameter and a catch-all route. TestEveryRouteHits proves every
// router sends every lookup to its own handler.
package routing

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	covet "github.com/covetgo/covet/core"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/julienschmidt/httprouter"
	"github.com/labstack/echo/v4"
)

// Route is a method and a pattern in httprouter syntax (:name parameters,
// *name catch-all).
type Route struct {
	// Method is the HTTP method; Path the pattern.
	Method, Path string
}

// Lookup is a request to route: a method and a concrete path, and the index
// of the route it must reach.
type Lookup struct {
	// Method and Path make the request.
	Method, Path string
	// Route is the index in the table's Routes of the route it must reach.
	Route int
}

// Table is a route set and the lookups run against it.
type Table struct {
	// Name is the benchmark's name.
	Name string
	// Routes are registered in every router.
	Routes []Route
	// Lookups are served once each per benchmark op.
	Lookups []Lookup
}

// Concrete turns a pattern into a request path: ":name" becomes "name-1",
// "*name" becomes "a/b/c.css".
func Concrete(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		switch {
		case strings.HasPrefix(s, ":"):
			parts[i] = s[1:] + "-1"
		case strings.HasPrefix(s, "*"):
			parts[i] = "css/site/main.css"
		}
	}
	return strings.Join(parts, "/")
}

// GitHubAll is the GitHub API table with every route looked up once.
func GitHubAll() Table {
	t := Table{Name: "GitHubAll", Routes: GitHubAPI}
	for i, r := range GitHubAPI {
		t.Lookups = append(t.Lookups, Lookup{r.Method, Concrete(r.Path), i})
	}
	return t
}

// Synthetic1000All is 1000 routes /resource<i>/:id/sub<j> (100 × 10), every
// one looked up once.
func Synthetic1000All() Table {
	t := Table{Name: "Synthetic1000All"}
	for i := 0; i < 100; i++ {
		for j := 0; j < 10; j++ {
			t.Routes = append(t.Routes, Route{"GET", "/resource" + strconv.Itoa(i) + "/:id/sub" + strconv.Itoa(j)})
			t.Lookups = append(t.Lookups, Lookup{"GET", "/resource" + strconv.Itoa(i) + "/42/sub" + strconv.Itoa(j), len(t.Routes) - 1})
		}
	}
	return t
}

// withCatchAll is the GitHub table plus a catch-all route.
func withCatchAll() []Route {
	return append(append([]Route{}, GitHubAPI...), Route{"GET", "/static/*filepath"})
}

func single(name, method, path string, routes []Route) Table {
	for i, r := range routes {
		if r.Method == method && Concrete(r.Path) == path {
			return Table{Name: name, Routes: routes, Lookups: []Lookup{{method, path, i}}}
		}
	}
	panic("routing: no route for " + method + " " + path)
}

// Static is one lookup of a static route (GET /user/repos) in the GitHub table.
func Static() Table { return single("Static", "GET", "/user/repos", withCatchAll()) }

// Param1 is one lookup of a route with one parameter (GET /users/:user).
func Param1() Table { return single("Param1", "GET", "/users/user-1", withCatchAll()) }

// CatchAll is one lookup of a catch-all route (GET /static/*filepath).
func CatchAll() Table {
	return single("CatchAll", "GET", "/static/css/site/main.css", withCatchAll())
}

// Tables are every table, in report order.
func Tables() []Table {
	return []Table{GitHubAll(), Synthetic1000All(), Static(), Param1(), CatchAll()}
}

// Router is a route table registered in one router.
type Router struct {
	// Name is the router's name (covet, httprouter, servemux, chi, gin, echo).
	Name string
	// Handler serves the registered routes.
	Handler http.Handler
	// hit is the index of the route whose handler ran last.
	hit *int
}

// Hit returns the index of the route whose handler ran last (-1 for none)
// and resets it.
func (r Router) Hit() int {
	h := *r.hit
	*r.hit = -1
	return h
}

// Routers are the constructors of every router, in report order.
var Routers = []struct {
	Name string
	New  func(routes []Route) Router
}{
	{"covet", NewCovet},
	{"httprouter", NewHTTPRouter},
	{"servemux", NewServeMux},
	{"chi", NewChi},
	{"gin", NewGin},
	{"echo", NewEcho},
}

// braces turns :name into {name} and *name into the catch-all form given.
func braces(p, catchAll string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		switch {
		case strings.HasPrefix(s, ":"):
			parts[i] = "{" + s[1:] + "}"
		case strings.HasPrefix(s, "*"):
			parts[i] = strings.ReplaceAll(catchAll, "NAME", s[1:])
		}
	}
	return strings.Join(parts, "/")
}

// NewCovet registers routes in a Covet app ({name}, {name:path}).
func NewCovet(routes []Route) Router {
	hit := new(int)
	app := covet.New(covet.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	for i, r := range routes {
		app.Handle(r.Method, braces(r.Path, "{NAME:path}"), func(*covet.Context) error { *hit = i; return nil })
	}
	return Router{"covet", app, hit}
}

// NewHTTPRouter registers routes in julienschmidt/httprouter.
func NewHTTPRouter(routes []Route) Router {
	hit := new(int)
	hr := httprouter.New()
	for i, r := range routes {
		hr.Handle(r.Method, r.Path, func(http.ResponseWriter, *http.Request, httprouter.Params) { *hit = i })
	}
	return Router{"httprouter", hr, hit}
}

// NewServeMux registers routes in net/http's ServeMux (Go 1.22 patterns).
func NewServeMux(routes []Route) Router {
	hit := new(int)
	mux := http.NewServeMux()
	for i, r := range routes {
		mux.HandleFunc(r.Method+" "+braces(r.Path, "{NAME...}"), func(http.ResponseWriter, *http.Request) { *hit = i })
	}
	return Router{"servemux", mux, hit}
}

// NewChi registers routes in go-chi/chi v5.
func NewChi(routes []Route) Router {
	hit := new(int)
	mux := chi.NewRouter()
	for i, r := range routes {
		mux.MethodFunc(r.Method, braces(r.Path, "*"), func(http.ResponseWriter, *http.Request) { *hit = i })
	}
	return Router{"chi", mux, hit}
}

// NewGin registers routes in gin (release mode, gin.New()).
func NewGin(routes []Route) Router {
	hit := new(int)
	gin.SetMode(gin.ReleaseMode)
	g := gin.New()
	for i, r := range routes {
		g.Handle(r.Method, r.Path, func(*gin.Context) { *hit = i })
	}
	return Router{"gin", g, hit}
}

// NewEcho registers routes in echo v4.
func NewEcho(routes []Route) Router {
	hit := new(int)
	e := echo.New()
	for i, r := range routes {
		p := r.Path
		if j := strings.Index(p, "*"); j >= 0 {
			p = p[:j+1]
		}
		e.Add(r.Method, p, func(echo.Context) error { *hit = i; return nil })
	}
	return Router{"echo", e, hit}
}

// NopWriter is a ResponseWriter that keeps nothing but the status.
type NopWriter struct {
	// H is the header map Header returns.
	H http.Header
	// Status is the last status written (0 when none).
	Status int
}

// Header implements http.ResponseWriter.
func (w *NopWriter) Header() http.Header { return w.H }

// Write implements http.ResponseWriter.
func (w *NopWriter) Write(b []byte) (int, error) { return len(b), nil }

// WriteHeader implements http.ResponseWriter.
func (w *NopWriter) WriteHeader(code int) { w.Status = code }

// NewRequest returns the request every lookup reuses.
func NewRequest() *http.Request {
	return &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, RequestURI: "/", Header: http.Header{}, Host: "localhost", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
}

// Serve runs one lookup through h with the reused request and writer.
func Serve(h http.Handler, w *NopWriter, r *http.Request, l Lookup) {
	r.Method = l.Method
	r.URL.Path = l.Path
	r.RequestURI = l.Path
	h.ServeHTTP(w, r)
}
