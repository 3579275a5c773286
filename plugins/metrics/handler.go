package metrics

import (
	"crypto/subtle"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler returns the exposition handler for the plugin's registry:
// promhttp's, negotiating the text format, OpenMetrics (Accept:
// application/openmetrics-text, which carries exemplars) and protobuf
// (native histograms), gzip-compressed when asked. It does not check
// WithBasicAuth or WithAllowedIPs: the route and the listener the plugin
// registers do.
func (p *Plugin) Handler() http.Handler {
	return promhttp.HandlerFor(p.cfg.registry, promhttp.HandlerOpts{
		EnableOpenMetrics: true,
		ErrorHandling:     promhttp.ContinueOnError,
	})
}

// allowed checks the exposition's guards for a request from ip.
func (p *Plugin) allowed(r *http.Request, ip string) bool {
	if len(p.cfg.allow) > 0 {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return false
		}
		a = a.Unmap()
		ok := false
		for _, pre := range p.cfg.allow {
			if pre.Contains(a) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if p.cfg.user != "" || p.cfg.pass != "" {
		u, pw, ok := r.BasicAuth()
		if !ok {
			return false
		}
		// Both compared, always, so the time taken does not say which failed.
		uok := subtle.ConstantTimeCompare([]byte(u), []byte(p.cfg.user))
		pok := subtle.ConstantTimeCompare([]byte(pw), []byte(p.cfg.pass))
		return uok&pok == 1
	}
	return true
}

// deny answers a refused scrape: 401 with a challenge when basic auth is
// set and the client is allowed by address, else 403.
func (p *Plugin) deny(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/problem+json")
	if p.cfg.user != "" || p.cfg.pass != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="metrics", charset="UTF-8"`)
		w.WriteHeader(http.StatusUnauthorized)
		_, err := w.Write([]byte(`{"type":"about:blank","title":"Unauthorized","status":401}`))
		return err
	}
	w.WriteHeader(http.StatusForbidden)
	_, err := w.Write([]byte(`{"type":"about:blank","title":"Forbidden","status":403}`))
	return err
}
