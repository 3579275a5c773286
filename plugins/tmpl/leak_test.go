package tmpl_test

import (
	"testing"
	"testing/fstest"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
	"go.uber.org/goleak"
)

// TestFailedStartLeavesNothing installs the template engine in development mode (reloading) and runs
// covettest.FailedStartLeavesNothing: the app's Start fails after it and
// before it, and it is installed from an Install that fails; no goroutine is
// left behind (goleak), and the rolled-back app answers exactly as one
// without it.
func TestFailedStartLeavesNothing(t *testing.T) {
	fsys := fstest.MapFS{"index.html": {Data: []byte("<p>hi</p>")}}
	newPlugin := func(t *testing.T) covet.Plugin { return tmpl.New(fsys, tmpl.WithDevelopment(true)) }
	covettest.FailedStartLeavesNothing(t, newPlugin,
		covettest.LeakVerify(func(t *testing.T) func() {
			ignore := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, ignore) }
		}),
	)
}
