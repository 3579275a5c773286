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
	HealthOK       HealthStatus = "ok"       // everything works
	HealthDegraded HealthStatus = "degraded" // serving with reduced function (a replica down); does not fail the check
	HealthDown     HealthStatus = "down"     // not able to serve; fails the check with 503
)

// HealthReport is a plugin's answer to a health check.
type HealthReport struct {
	Status  HealthStatus   `json:"status"`            // the verdict
	Error   string         `json:"error,omitempty"`   // explains a degraded or down status
	Details map[string]any `json:"details,omitempty"` // plugin figures (latency per database, pool stats)
}

// HealthResponse is the JSON body of /healthz and /readyz: 503 when Status
// is down. Plugins has each checking plugin's report; the public answer
// (without WithHealthDetails) names only the plugins not ok, with their
// status alone.
type HealthResponse struct {
	Status  HealthStatus            `json:"status"`
	Plugins map[string]PluginHealth `json:"plugins,omitempty"`
}

// PluginHealth is one plugin's report in a HealthResponse, with how long
// the check took.
type PluginHealth struct {
	HealthReport
	LatencyMS float64 `json:"latency_ms,omitempty"`
}

// health is the app's health-check state (core/internal/health): runs in
// flight, checks still running, each plugin's last status.
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
// plugins are not ok.
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

// CheckHealth asks every HealthChecker plugin, concurrently and within the
// health timeout, and combines their reports: down if any is down, degraded
// if any is degraded; readiness is down too while the server shuts down.
// Concurrent calls of one kind share one run, and a check still running
// past its deadline is reported down without being asked again, so probes
// stay cheap. Status changes are logged with the error and details.
func (a *App) CheckHealth(ctx context.Context, kind HealthKind) HealthResponse {
	// The run is shared: the caller's cancellation must not end it.
	res, _, ok := a.health.flights.Do(ctx, int(kind&1), func() HealthResponse {
		return a.runHealth(context.WithoutCancel(ctx), kind)
	})
	if !ok {
		res = HealthResponse{Status: HealthDown}
	}
	res.Plugins = maps.Clone(res.Plugins) // the callers of a shared run each get theirs
	if kind == Readiness && a.draining.Load() {
		res.Status = HealthDown
	}
	return res
}

// runHealth runs every plugin's check (core/internal/health) and combines
// the reports that arrive by the deadline.
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
		ph := PluginHealth{HealthReport: r.Report, LatencyMS: float64(r.Latency.Microseconds()) / 1000}
		if ph.Status == "" {
			ph.Status = HealthOK
		}
		if out.Plugins == nil {
			out.Plugins = map[string]PluginHealth{}
		}
		out.Plugins[name] = ph
		if ph.Status == HealthDown || ph.Status == HealthDegraded && out.Status == HealthOK {
			out.Status = ph.Status
		}
		if a.health.changes.Changed(name, ph.Status, HealthOK) { // log what the public answer leaves out
			ihealth.LogChange(a.logger, name, string(ph.Status), kind.String(), ph.LatencyMS, ph.Error, ph.Details, ph.Status == HealthOK)
		}
	}
	return out
}
