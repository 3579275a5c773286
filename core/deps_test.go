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

// TestNoGoccyLinked: the covet package and its middleware do not import
// github.com/goccy/go-json (3.2 MB linked by its package initialisation);
// only the optional core/gojson does.
func TestNoGoccyLinked(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".", "./middleware").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	pkgs := strings.Fields(string(out))
	for _, p := range pkgs {
		if strings.HasPrefix(p, "github.com/goccy/") {
			t.Errorf("core links %s", p)
		}
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list -deps listed %d packages: %q", len(pkgs), pkgs)
	}
	out, err = exec.Command("go", "list", "-deps", "./gojson").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "github.com/goccy/go-json\n") {
		t.Errorf("core/gojson does not list goccy/go-json among its dependencies (the check above would not see it either): %v\n%s", err, out)
	}
}
