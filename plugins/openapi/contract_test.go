package openapi_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/openapi"
)

// TestPluginContract runs core's plugin contract (hooks, rollback, cleanup,
// drain, no goroutine left) against the documentation plugin with its
// document, UI and ReDoc routes on.
func TestPluginContract(t *testing.T) {
	covettest.PluginContract(t, func() covet.Plugin {
		return openapi.New(openapi.WithInfo("contract", "1.0.0"), openapi.WithRedoc("/redoc"))
	})
}
