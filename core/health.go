package covet

import (
	"context"
	"maps"
	"net/http"

	ihealth "github.com/covetgo/covet/core/internal/health"
)

// HealthKind says which health question is asked.
type HealthKind uint8

const (
	// Liveness asks whether the process works at all (/healthz).
	Liveness HealthKind = iota
	// Readiness asks whether it can serve traffic now (/readyz).
	Readiness
)

// String returns "liveness" or "readiness".
func (k HealthKind) String() string {
	if k == Readiness {
		return "readiness"
	}
	return "liveness"
}

// HealthStatus is a health verdict.
type HealthStatus string

const (
	// HealthOK: everything works.
	HealthOK HealthStatus = "ok"
	// HealthDegraded: serving, with reduced function (a replica is down, a
	// cache fell back to memory). Does not fail the check.
	HealthDegraded HealthStatus = "degraded"
	// HealthDown: not able to serve; fails the check with 503.
	HealthDown HealthStatus = "down"
)

// HealthReport is a plugin's answer to a health check.
type HealthReport struct {
	// Status is the verdict.
	Status HealthStatus `json:"status"`
	// Error explains a degraded or down status.
	Error string `json:"error,omitempty"`
	// Details holds plugin-specific figures (per-database latency, pool stats).
	Details map[string]any `json:"details,omitempty"`
}

// HealthResponse is the JSON body of /healthz and /readyz.
type HealthResponse struct {
	// Status is "ok", "degraded" or "down"; the answer is 503 when "down".
	Status HealthStatus `json:"status"`
	// Plugins has each health-checking plugin's report, with its latency.
	// In the public answer of /healthz and /readyz (without
	// WithHealthDetails) it names only the plugins that are not ok, with
	// their status and nothing else.
	Plugins map[string]PluginHealth `json:"plugins,omitempty"`
}

// PluginHealth is one plugin's report in a HealthResponse.
type PluginHealth struct {
	HealthReport
	// LatencyMS is how long the check took.
	LatencyMS float64 `json:"latency_ms,omitempty"`
}

// health is the app's health-check state: the runs in flight and the checks
// still running (core/internal/health), and per plugin the last status, to
// log changes.
type health struct {
	flights ihealth.Flights[HealthResponse]
	changes ihealth.Changes[HealthStatus]
}

func (a *App) registerHealth() {
	h := func(kind HealthKind) HandlerFunc {
		return func(c *Context) error {
			res := a.CheckHealth(c.Context(), kind)
			code := http.StatusOK
			if res.Status == HealthDown {
				code = http.StatusServiceUnavailable
			}
			c.Response().Header().Set("Cache-Control", "no-store")
			if !a.cfg.healthDetails {
				res = res.public()
			}
			return c.JSON(code, res)
		}
	}
	a.GET(a.cfg.healthzPath, h(Liveness)).Name("covet.healthz").Summary("Liveness check").Tags("health")
	a.GET(a.cfg.readyzPath, h(Readiness)).Name("covet.readyz").Summary("Readiness check").Tags("health")
}

// public keeps what an anonymous client may see: the verdict, and which
// plugins are not ok. Errors and details (database user, host, port) stay
// in the log.
func (r HealthResponse) public() HealthResponse {
	out := HealthResponse{Status: r.Status}
	for name, ph := range r.Plugins {
		if ph.Status == HealthOK {
			continue
		}
		if out.Plugins == nil {
			out.Plugins = map[string]PluginHealth{}
		}
		out.Plugins[name] = PluginHealth{HealthReport: HealthReport{Status: ph.Status}}
	}
	return out
}

// CheckHealth asks every HealthChecker plugin, concurrently and bounded by the
// health timeout, and combines their reports: down if any is down, degraded
// if any is degraded. A readiness check is also down while the server is
// shutting down, so load balancers stop sending traffic.
//
// Concurrent calls of one kind share a single run (the probes that arrive
// while a check runs get its answer), so the endpoints stay cheap under a
// flood of probes. A plugin whose check ignored its deadline and is still
// running is reported down ("health check still running") without being
// asked again, so a hung check costs one goroutine, not one per probe.
// Changes of a plugin's status are logged with its error and details.
func (a *App) CheckHealth(ctx context.Context, kind HealthKind) HealthResponse {
	// The run is shared: the caller's cancellation must not end it for the
	// others.
	res, joined, ok := a.health.flights.Do(ctx, int(kind&1), func() HealthResponse {
		return a.runHealth(context.WithoutCancel(ctx), kind)
	})
	switch {
	case !ok:
		return a.withDraining(kind, HealthResponse{Status: HealthDown})
	case joined:
		return res.clone()
	}
	return a.withDraining(kind, res.clone())
}

func (a *App) withDraining(kind HealthKind, r HealthResponse) HealthResponse {
	if kind == Readiness && a.draining.Load() {
		r.Status = HealthDown
	}
	return r
}

// clone copies the plugin map, which the callers of a shared run receive.
func (r HealthResponse) clone() HealthResponse {
	r.Plugins = maps.Clone(r.Plugins)
	return r
}

// runHealth runs one health check of every plugin, each in a goroutine of
// its own (core/internal/health), and combines the reports that arrive by
// the deadline.
func (a *App) runHealth(ctx context.Context, kind HealthKind) HealthResponse {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.healthTimeout)
	defer cancel()
	var checks []ihealth.Check[HealthReport]
	for _, p := range a.plugins {
		if hc, ok := p.(HealthChecker); ok {
			checks = append(checks, ihealth.Check[HealthReport]{Name: p.Name(), Run: func(ctx context.Context) HealthReport {
				return hc.CheckHealth(ctx, kind)
			}})
		}
	}
	down := func(msg string) HealthReport { return HealthReport{Status: HealthDown, Error: msg} }
	results := ihealth.RunAll(ctx, &a.health.flights, checks, ihealth.Verdicts[HealthReport]{
		StillRunning: down("health check still running (it did not return by its deadline)"),
		TimedOut:     down("health check timed out"),
		Panicked:     down("health check panicked"),
	})
	out := HealthResponse{Status: HealthOK}
	for name, r := range results {
		if out.Plugins == nil {
			out.Plugins = map[string]PluginHealth{}
		}
		ph := PluginHealth{HealthReport: r.Report, LatencyMS: float64(r.Latency.Microseconds()) / 1000}
		if ph.Status == "" {
			ph.Status = HealthOK
		}
		out.Plugins[name] = ph
		switch ph.Status {
		case HealthDown:
			out.Status = HealthDown
		case HealthDegraded:
			if out.Status == HealthOK {
				out.Status = HealthDegraded
			}
		}
		a.health.logChange(a, kind, name, ph)
	}
	return out
}

// logChange logs a plugin's report when its status changed since the last
// check: the error and details that the public answer leaves out.
func (hs *health) logChange(a *App, kind HealthKind, name string, ph PluginHealth) {
	if hs.changes.Changed(name, ph.Status, HealthOK) {
		ihealth.LogChange(a.logger, name, string(ph.Status), kind.String(), ph.LatencyMS, ph.Error, ph.Details, ph.Status == HealthOK)
	}
}
