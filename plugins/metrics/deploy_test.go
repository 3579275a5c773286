package metrics_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/covetgo/covet/plugins/metrics"
)

// TestDeployFilesNameRealMetrics: every metric the dashboard and the alert
// rules query is one the plugin exposes (with DBStats and RateLimit), so
// they cannot drift apart from the code; the figures of the other plugins
// are checked where those plugins are (contrib/examples/observability).
func TestDeployFilesNameRealMetrics(t *testing.T) {
	db := sql.OpenDB(noConnector{}) // never connects: the collector only reads Stats
	defer db.Close()
	app, _ := newApp(t,
		metrics.WithCollector(metrics.DBStats("primary", db)),
		metrics.WithCollector(metrics.RateLimit(func() metrics.RateLimitStats { return metrics.RateLimitStats{} })))
	do(app, "GET", "/plain")
	do(app, "GET", "/boom")
	fams := scrape(t, app, "/metrics")
	var dash map[string]any
	b, err := os.ReadFile("deploy/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	rules, err := os.ReadFile("deploy/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`\b(covet_[a-z_]+|go_[a-z_]+)\b`)
	seen := map[string]bool{}
	for _, m := range names.FindAllString(string(b)+string(rules), -1) {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count"), "_sum")
		if seen[base] {
			continue
		}
		seen[base] = true
		if pluginFigure.MatchString(base) {
			// Another plugin's figure (covet.StatsReporter): checked against
			// the real plugins by contrib/examples/observability's
			// TestDeployFilesNamePluginFigures.
			continue
		}
		if fams[base] == nil {
			t.Errorf("deploy files query %s, which the plugin does not expose", m)
		}
	}
	if len(seen) < 8 {
		t.Errorf("only %d metric names found in the deploy files", len(seen))
	}
}

// pluginFigure matches the names of the first-party plugins' figures.
var pluginFigure = regexp.MustCompile(`^covet_(orm|ratelimit|cache|ws|auth)_`)

type noConnector struct{}

func (noConnector) Connect(context.Context) (driver.Conn, error) {
	return nil, errors.New("no database")
}
func (noConnector) Driver() driver.Driver { return nil }
