package openapi_test

import (
	"testing"

	"github.com/covetgo/covet/plugins/openapi/openapitest"
)

// TestCoverage: every route of the test app that is not hidden is an
// operation of its document, and nothing else is.
func TestCoverage(t *testing.T) {
	app := newTestApp()
	n := openapitest.CheckCoverage(t, app)
	visible := 0
	for _, ri := range app.Routes() {
		if !ri.Hidden {
			visible++
		}
	}
	if n != visible || n == 0 {
		t.Errorf("%d operations for %d visible routes", n, visible)
	}
}

// TestConstraintsAgree runs the constraint-agreement checker on the test
// app, which uses every constraint core honours.
func TestConstraintsAgree(t *testing.T) {
	rep := openapitest.CheckConstraints(t, newTestApp())
	if rep.Routes < 8 || rep.Constraints < 80 || rep.TagChecks < 40 {
		t.Errorf("checked too little: %+v", rep)
	}
	if len(rep.Unbreakable) > 0 {
		t.Errorf("constraints no request could break: %v", rep.Unbreakable)
	}
	for _, s := range rep.NotIsolated {
		t.Logf("not isolated: %s", s)
	}
}
