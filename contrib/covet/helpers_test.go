package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the repository's root (two levels up), or "" when this
// module is tested alone, outside the repository (tools/release's
// TestModulesAlone: the repository's modules then come from its module
// proxy, through the environment it sets).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "versions.yaml")); err != nil {
		return ""
	}
	return root
}

// covet runs the command in-process and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// newLocalApp writes an app with `covet new` (no tidy) into a temporary
// directory and points its go.mod at this tree's modules (replace
// directives, outside any workspace), then tidies it: the app builds
// against the modules of this tree as it would against their releases.
func newLocalApp(t *testing.T, name string, args ...string) string {
	t.Helper()
	if testing.Short() {
		// Each app is generated and built (go build/vet/test of a new
		// module): minutes on a loaded machine. The main run has them.
		t.Skip("-short: tests that build a generated app are skipped")
	}
	root := repoRoot(t)
	tmp := t.TempDir()
	t.Chdir(tmp)
	code, out, errOut := runCLI(t, append([]string{"new", name, "--no-tidy", "--module", "example.com/" + name}, args...)...)
	if code != 0 {
		t.Fatalf("covet new: %d\n%s%s", code, out, errOut)
	}
	app := filepath.Join(tmp, name)
	t.Setenv("GOWORK", "off")
	if root != "" {
		t.Setenv("GOFLAGS", "-mod=mod")
		edit := []string{"mod", "edit"}
		for _, m := range []string{"core", "plugins/orm", "plugins/openapi", "plugins/tmpl"} {
			edit = append(edit, "-replace=github.com/covetgo/covet/"+m+"="+filepath.Join(root, m))
		}
		goIn(t, app, edit...)
	}
	goIn(t, app, "mod", "tidy")
	return app
}

// goIn runs the go command in dir and fails the test on error.
func goIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
