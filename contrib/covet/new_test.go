package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNewRefusesNonEmptyDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Chdir(tmp)
	if err := os.MkdirAll("taken/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("taken/main.go", []byte("package main // mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "new", "taken", "--no-tidy")
	if code != 1 || !strings.Contains(errOut, "is not empty") || !strings.Contains(errOut, "nothing was written") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	entries, _ := os.ReadDir("taken")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"main.go", "sub"}) {
		t.Fatalf("the directory was touched: %v", names)
	}
	b, _ := os.ReadFile("taken/main.go")
	st, _ := os.Stat("taken/main.go")
	if string(b) != "package main // mine\n" || st.Mode().Perm() != 0o600 {
		t.Fatalf("main.go changed: %q %v", b, st.Mode())
	}
}

func TestNewBadInput(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no name", []string{"new"}, 2, "missing NAME"},
		{"bad name", []string{"new", "Hello World", "--no-tidy"}, 1, "not a usable app name"},
		{"bad template", []string{"new", "x", "--template", "cli"}, 2, `unknown template "cli"`},
		{"two names", []string{"new", "a", "b"}, 2, `unexpected argument "b"`},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		// A module path is written into go.mod as it is: a space or a
		// newline would break it or add directives of the caller's choosing.
		{"module with a space", []string{"new", "x", "--no-tidy", "--module", "example.com/x y"}, 1, "not a usable module path"},
		{"module with a newline", []string{"new", "x", "--no-tidy", "--module", "example.com/x\nreplace github.com/covetgo/covet/core => ../evil"}, 1, "not a usable module path"},
		{"module with a quote", []string{"new", "x", "--no-tidy", "--module", `example.com/"x"`}, 1, "not a usable module path"},
		{"module with an empty element", []string{"new", "x", "--no-tidy", "--module", "example.com//x"}, 1, "not a usable module path"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Fatalf("exit %d, stderr:\n%s\nwant %d and %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
	if _, err := os.Stat("x"); err == nil {
		t.Fatal("a refused covet new wrote a directory")
	}
}

func TestNewFiles(t *testing.T) {
	for _, tt := range []struct {
		template string
		want     []string
		not      []string
	}{
		{"api", []string{".gitignore", "README.md", "app.go", "app_test.go", "go.mod", "main.go", "migrations/001_notes.down.sql", "migrations/001_notes.up.sql"}, []string{"views/index.html"}},
		{"web", []string{"views/index.html", "views/layouts/base.html", "app.go"}, nil},
	} {
		t.Run(tt.template, func(t *testing.T) {
			t.Chdir(t.TempDir())
			code, out, errOut := runCLI(t, "new", "myapp", "--template", tt.template, "--no-tidy", "--module", "example.com/me/myapp")
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			for _, f := range tt.want {
				if _, err := os.Stat(filepath.Join("myapp", f)); err != nil {
					t.Errorf("missing %s", f)
				}
			}
			for _, f := range tt.not {
				if _, err := os.Stat(filepath.Join("myapp", f)); err == nil {
					t.Errorf("unexpected %s", f)
				}
			}
			mod, _ := os.ReadFile("myapp/go.mod")
			if !strings.HasPrefix(string(mod), "module example.com/me/myapp\n") || !strings.Contains(string(mod), "github.com/covetgo/covet/core "+moduleVersions["core"]) {
				t.Errorf("go.mod:\n%s", mod)
			}
			if hasTmpl := strings.Contains(string(mod), "plugins/tmpl"); hasTmpl != (tt.template == "web") {
				t.Errorf("plugins/tmpl required: %v, template %s", hasTmpl, tt.template)
			}
			readme, _ := os.ReadFile("myapp/README.md")
			if !strings.Contains(string(readme), "go run .") || !strings.Contains(string(readme), "go test ./...") {
				t.Errorf("README lacks the two commands:\n%s", readme)
			}
		})
	}
}

// TestNewAppBuildsAndPasses: each template's app vets and passes its own
// tests at once (against this tree's modules, through a go.work).
func TestNewAppBuildsAndPasses(t *testing.T) {
	for _, tmpl := range []string{"api", "web"} {
		t.Run(tmpl, func(t *testing.T) {
			app := newLocalApp(t, "app"+tmpl, "--template", tmpl)
			goIn(t, app, "vet", "./...")
			out := goIn(t, app, "test", "-count=1", "./...")
			if !strings.Contains(out, "ok") {
				t.Fatalf("go test:\n%s", out)
			}
		})
	}
}

// TestVersionsInStep: a new app requires the versions versions.yaml gives.
func TestVersionsInStep(t *testing.T) {
	root := repoRoot(t)
	if root == "" {
		t.Skip("not in the repository: no versions.yaml")
	}
	b, err := os.ReadFile(filepath.Join(root, "versions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for dir, v := range moduleVersions {
		found := ""
		for i, l := range lines {
			if l == "  "+dir+":" && i+1 < len(lines) {
				found = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i+1]), "version:"))
			}
		}
		if found != v {
			t.Errorf("%s: covet new requires %s, versions.yaml says %q", dir, v, found)
		}
	}
}

// TestWriteNewNeverOverwrites: a file that appeared after the directory was
// found empty is an error and keeps its content.
func TestWriteNewNeverOverwrites(t *testing.T) {
	p := filepath.Join(t.TempDir(), "main.go")
	if err := writeNew(p, []byte("package main // new\n")); err != nil {
		t.Fatal(err)
	}
	if err := writeNew(p, []byte("package main // again\n")); err == nil {
		t.Fatal("writeNew overwrote an existing file")
	}
	if b, _ := os.ReadFile(p); string(b) != "package main // new\n" {
		t.Fatalf("content = %q", b)
	}
}
