package covet_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoTemplateEngineLinked keeps the template engines out of every covet
// binary (issues 12 and 21): text/template's reflection on method names makes
// the linker keep every exported method of every linked type (3.8 MB of the
// hello example's 17.4 MB). The development error page is written by hand
// (internal/devpage).
func TestNoTemplateEngineLinked(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".", "./middleware").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "html/template" || p == "text/template" {
			t.Errorf("core links %s", p)
		}
	}
}
