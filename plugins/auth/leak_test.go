package auth_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"go.uber.org/goleak"
)

// TestFailedStartLeavesNothing installs auth with keys, revocation and sessions and runs
// covettest.FailedStartLeavesNothing: the app's Start fails after it and
// before it, and it is installed from an Install that fails; no goroutine is
// left behind (goleak), and the rolled-back app answers exactly as one
// without it.
func TestFailedStartLeavesNothing(t *testing.T) {
	newPlugin := func(t *testing.T) covet.Plugin {
		return auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithRevocation(auth.NewMemoryRevocation(0)),
			auth.WithSessions(auth.NewMemorySessions(), sessionSecret))
	}
	covettest.FailedStartLeavesNothing(t, newPlugin,
		covettest.LeakVerify(func(t *testing.T) func() {
			ignore := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, ignore) }
		}),
	)
}
