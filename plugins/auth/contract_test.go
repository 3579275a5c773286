package auth_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
)

func TestPluginContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin {
		return auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithRevocation(auth.NewMemoryRevocation(0)),
			auth.WithSessions(auth.NewMemorySessions(), sessionSecret))
	})
}
