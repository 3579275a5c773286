package jobs_test

import (
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/jobs"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

// TestContract: the plugin keeps core's plugin contract (lifecycle, health,
// rollback, no goroutine left) against a real PostgreSQL database.
func TestContract(t *testing.T) {
	db := ormtest.Postgres(t)
	covettest.PluginContract(t, func() covet.Plugin {
		p := jobs.New(jobs.WithDSN(db.DSN), jobs.WithView("/ops/jobs"), jobs.WithFetchInterval(100*time.Millisecond))
		jobs.RegisterFunc(p, noteWork)
		return p
	})
}
