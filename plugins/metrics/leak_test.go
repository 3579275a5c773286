package metrics_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/metrics"
	"go.uber.org/goleak"
)

// TestFailedStartLeavesNothing installs metrics with its own listener and the default registry and runs
// covettest.FailedStartLeavesNothing: the app's Start fails after it and
// before it, and it is installed from an Install that fails; no goroutine is
// left behind (goleak), and the rolled-back app answers exactly as one
// without it.
func TestFailedStartLeavesNothing(t *testing.T) {
	newPlugin := func(t *testing.T) covet.Plugin { return metrics.New(metrics.WithListener("127.0.0.1:0")) }
	covettest.FailedStartLeavesNothing(t, newPlugin,
		covettest.LeakVerify(func(t *testing.T) func() {
			ignore := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, ignore) }
		}),
	)
}
