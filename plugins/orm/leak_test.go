package orm_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"go.uber.org/goleak"
)

// TestFailedStartLeavesNothing installs the ORM on SQLite and runs
// covettest.FailedStartLeavesNothing: the app's Start fails after it and
// before it, and it is installed from an Install that fails; no goroutine is
// left behind (goleak), and the rolled-back app answers exactly as one
// without it.
func TestFailedStartLeavesNothing(t *testing.T) {
	db := ormtest.SQLite(t)
	newPlugin := func(t *testing.T) covet.Plugin { return orm.New(orm.WithDriver(db.Driver), orm.WithDSN(db.DSN)) }
	covettest.FailedStartLeavesNothing(t, newPlugin,
		covettest.LeakVerify(func(t *testing.T) func() {
			ignore := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, ignore) }
		}),
	)
}
