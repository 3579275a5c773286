package metrics

import (
	"errors"
	"net/http"
	"net/http/pprof"

	covet "github.com/covetgo/covet/core"
)

// ProfilingPath is where WithProfiling serves net/http/pprof's handlers:
// the index and named profiles (heap, goroutine, allocs, block, mutex,
// threadcreate), cmdline, profile (CPU), symbol and trace (runtime/trace).
// It is fixed because pprof's index resolves profile names under it.
const ProfilingPath = "/debug/pprof/"

// WithProfiling serves net/http/pprof's handlers, runtime/trace included,
// under ProfilingPath: on the app, or on the separate listener with
// WithListener. Off by default. When on, it is behind the same guards as
// the exposition, and at least one of WithBasicAuth or WithAllowedIPs is
// required (Install fails otherwise): profiles show memory contents,
// command lines and symbols, and a CPU profile or trace costs the server
// while it runs.
func WithProfiling(on bool) Option { return func(c *config) { c.profiling = on } }

var errProfilingOpen = errors.New("metrics: WithProfiling needs WithBasicAuth or WithAllowedIPs: profiles must not be public")

// profilingHandler returns the pprof mux; every request is checked by
// guard first.
func (p *Plugin) profilingHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+ProfilingPath, pprof.Index) // named profiles too
	mux.HandleFunc("GET "+ProfilingPath+"cmdline", pprof.Cmdline)
	mux.HandleFunc("GET "+ProfilingPath+"profile", pprof.Profile)
	mux.HandleFunc("GET "+ProfilingPath+"symbol", pprof.Symbol)
	mux.HandleFunc("POST "+ProfilingPath+"symbol", pprof.Symbol)
	mux.HandleFunc("GET "+ProfilingPath+"trace", pprof.Trace)
	return mux
}

// installProfiling adds the guarded pprof routes to the app.
func (p *Plugin) installProfiling(app *covet.App) {
	h := p.profilingHandler()
	serve := func(c *covet.Context) error {
		if !p.allowed(c.Request(), c.ClientIP()) {
			return p.deny(c.Response(), c.Request())
		}
		h.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	app.GET(ProfilingPath, serve).Hidden()
	app.GET(ProfilingPath+"{name:path}", serve).Hidden()
	app.POST(ProfilingPath+"symbol", serve).Hidden()
}
