package covet

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// HealthResponse is the JSON body of /healthz and /readyz.
type HealthResponse struct {
	// Status is "ok", "degraded" or "down"; the answer is 503 when "down".
	Status HealthStatus `json:"status"`
	// Plugins has each health-checking plugin's report, with its latency.
	Plugins map[string]PluginHealth `json:"plugins,omitempty"`
}

// PluginHealth is one plugin's report in a HealthResponse.
type PluginHealth struct {
	HealthReport
	// LatencyMS is how long the check took.
	LatencyMS float64 `json:"latency_ms"`
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
			return c.JSON(code, res)
		}
	}
	a.GET(a.cfg.healthzPath, h(Liveness)).Name("covet.healthz").Summary("Liveness check").Tags("health")
	a.GET(a.cfg.readyzPath, h(Readiness)).Name("covet.readyz").Summary("Readiness check").Tags("health")
}

// CheckHealth asks every HealthChecker plugin, concurrently and bounded by the
// health timeout, and combines their reports: down if any is down, degraded
// if any is degraded. A readiness check is also down while the server is
// shutting down, so load balancers stop sending traffic.
func (a *App) CheckHealth(ctx context.Context, kind HealthKind) HealthResponse {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.healthTimeout)
	defer cancel()
	out := HealthResponse{Status: HealthOK}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range a.plugins {
		hc, ok := p.(HealthChecker)
		if !ok {
			continue
		}
		if out.Plugins == nil {
			out.Plugins = map[string]PluginHealth{}
		}
		wg.Add(1)
		go func(name string, hc HealthChecker) {
			defer wg.Done()
			start := time.Now()
			rep := runCheck(ctx, hc, kind)
			ph := PluginHealth{HealthReport: rep, LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
			mu.Lock()
			out.Plugins[name] = ph
			mu.Unlock()
		}(p.Name(), hc)
	}
	wg.Wait()
	for _, ph := range out.Plugins {
		switch ph.Status {
		case HealthDown:
			out.Status = HealthDown
		case HealthDegraded:
			if out.Status == HealthOK {
				out.Status = HealthDegraded
			}
		}
	}
	if kind == Readiness && a.draining.Load() {
		out.Status = HealthDown
	}
	return out
}

// runCheck runs one check, turning a panic or a check that ignores its
// deadline into a down report.
func runCheck(ctx context.Context, hc HealthChecker, kind HealthKind) (rep HealthReport) {
	done := make(chan HealthReport, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- HealthReport{Status: HealthDown, Error: "health check panicked"}
			}
		}()
		done <- hc.CheckHealth(ctx, kind)
	}()
	select {
	case rep = <-done:
		if rep.Status == "" {
			rep.Status = HealthOK
		}
		return rep
	case <-ctx.Done():
		return HealthReport{Status: HealthDown, Error: "health check timed out"}
	}
}
