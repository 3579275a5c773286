package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/covetgo/covet/tools/release/internal/release"
)

// fixtureRepo is a throwaway git repository with one module, "greet", laid
// out like this repository (go.work, versions.yaml, module path
// github.com/covetgo/covet/greet).
type fixtureRepo struct {
	t    *testing.T
	root string
}

func newFixture(t *testing.T) *fixtureRepo {
	t.Helper()
	f := &fixtureRepo{t: t, root: t.TempDir()}
	f.git("init", "-q", "-b", "main")
	f.write("go.work", "go 1.25.0\n\nuse ./greet\n")
	f.write("versions.yaml", "# fixture\nmodules:\n  greet:\n    version: v0.1.0\n")
	f.write("greet/go.mod", "module github.com/covetgo/covet/greet\n\ngo 1.25.0\n")
	f.write("greet/version.go", "package greet\n\n// Version is the module's version.\nconst Version = \"0.1.0\"\n")
	f.write("greet/greet.go", "package greet\n\n// Hello greets name.\nfunc Hello(name string) string { return \"hello, \" + name }\n")
	f.write("greet/CHANGELOG.md", "# Changelog\n\n## v0.1.0\n\n- Hello.\n")
	f.commit("greet v0.1.0")
	f.cli("record", "greet")
	f.commit("record greet v0.1.0")
	return f
}

func (f *fixtureRepo) write(name, content string) {
	f.t.Helper()
	p := filepath.Join(f.root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixtureRepo) git(args ...string) string {
	f.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=fixture", "-c", "user.email=fixture@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = f.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (f *fixtureRepo) commit(msg string) {
	f.t.Helper()
	f.git("add", "-A")
	f.git("commit", "-q", "-m", msg)
}

// cli runs the release command in the fixture and returns its output and error.
func (f *fixtureRepo) cli(args ...string) (string, error) {
	f.t.Helper()
	f.t.Chdir(f.root)
	var out bytes.Buffer
	err := run(args, &out)
	return out.String(), err
}

func TestAPIGuardFixture(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a fixture module with the go command")
	}
	tests := []struct {
		name    string
		change  func(f *fixtureRepo)
		commit  bool
		wantErr bool
		want    []string // substrings of the output
	}{
		{
			name:   "unchanged release passes",
			change: func(f *fixtureRepo) {},
			want:   []string{"api greet: v0.1.0 -> v0.1.0: 0 incompatible, 0 compatible changes", "ok: 1 modules"},
		},
		{
			name: "changed signature without a bump fails, naming the change",
			change: func(f *fixtureRepo) {
				f.write("greet/greet.go", "package greet\n\n// Hello greets name.\nfunc Hello(name string, excited bool) string { return \"hello, \" + name }\n")
			},
			commit:  true,
			wantErr: true,
			want: []string{
				"FAIL greet: exported API changed since v0.1.0",
				"incompatible changes:",
				"Hello: changed from func(string) string to func(string, bool) string",
				"set version: v0.2.0",
			},
		},
		{
			name: "changed signature with a minor bump passes (v0 rule)",
			change: func(f *fixtureRepo) {
				f.write("greet/greet.go", "package greet\n\n// Hello greets name.\nfunc Hello(name string, excited bool) string { return \"hello, \" + name }\n")
				f.cli("set", "greet", "v0.2.0")
			},
			commit: true,
			want:   []string{"api greet: v0.1.0 -> v0.2.0: 1 incompatible, 0 compatible changes", "ok: 1 modules"},
		},
		{
			name: "new function with only a patch bump fails",
			change: func(f *fixtureRepo) {
				f.write("greet/bye.go", "package greet\n\n// Bye says goodbye.\nfunc Bye() string { return \"bye\" }\n")
				f.cli("set", "greet", "v0.1.1")
			},
			commit:  true,
			wantErr: true,
			want:    []string{"new API (compatible additions) since v0.1.0", "Bye: added", "set version: v0.2.0"},
		},
		{
			name: "a fix without API change and without a bump fails",
			change: func(f *fixtureRepo) {
				f.write("greet/greet.go", "package greet\n\n// Hello greets name.\nfunc Hello(name string) string { return \"hello, \" + name + \"!\" }\n")
			},
			wantErr: true,
			want:    []string{"files changed since v0.1.0 was released", "set version: v0.1.1", "Changed: greet.go"},
		},
		{
			name: "a fix with a patch bump passes",
			change: func(f *fixtureRepo) {
				f.write("greet/greet.go", "package greet\n\n// Hello greets name.\nfunc Hello(name string) string { return \"hello, \" + name + \"!\" }\n")
				f.cli("set", "greet", "v0.1.1")
			},
			want: []string{"api greet: v0.1.0 -> v0.1.1: 0 incompatible, 0 compatible changes", "ok: 1 modules"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.change(f)
			if tt.commit {
				f.commit(tt.name)
			}
			out, err := f.cli("check")
			if tt.wantErr != (err != nil) {
				t.Errorf("check error = %v, want error: %v\n%s", err, tt.wantErr, out)
			}
			if err != nil && !errors.Is(err, errProblems) {
				t.Errorf("check failed to run: %v\n%s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestSetKeepsVersionConstantInStep(t *testing.T) {
	f := newFixture(t)
	if _, err := f.cli("set", "greet", "v0.3.0"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(f.root, "greet", "version.go"))
	if !strings.Contains(string(b), `const Version = "0.3.0"`) {
		t.Errorf("version.go not updated:\n%s", b)
	}
	vs, err := release.LoadVersions(f.root)
	if err != nil {
		t.Fatal(err)
	}
	if e := vs.Modules["greet"]; e.Version != "v0.3.0" || e.Released["v0.1.0"] == "" {
		t.Errorf("versions.yaml entry after set: %+v", e)
	}
	raw, _ := os.ReadFile(filepath.Join(f.root, "versions.yaml"))
	if !strings.HasPrefix(string(raw), "# fixture") {
		t.Errorf("set dropped the file's comments:\n%s", raw)
	}
}

func TestTagCommandsFixture(t *testing.T) {
	f := newFixture(t)
	out, err := f.cli("tags")
	if err != nil {
		t.Fatal(err)
	}
	commit := strings.TrimSpace(f.git("rev-parse", "HEAD~1"))
	want := "git tag -a greet/v0.1.0 " + commit + ` -m "github.com/covetgo/covet/greet v0.1.0"`
	if !strings.Contains(out, want) {
		t.Errorf("tags output lacks %q:\n%s", want, out)
	}
	f.write("greet/CHANGELOG.md", "# Changelog\n\n## v0.1.0-rc.1\n")
	if out, err := f.cli("tags"); err == nil || !strings.Contains(out, `greet/CHANGELOG.md has no "## v0.1.0" section`) {
		t.Errorf("a release without a changelog section is not reported (err %v):\n%s", err, out)
	}
	f.write("greet/CHANGELOG.md", "# Changelog\n\n## v0.1.0\n\n- Hello.\n")
	f.git("tag", "greet/v0.1.0", commit)
	f.cli("set", "greet", "v0.2.0")
	out, err = f.cli("tags")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "git tag -a greet/v0.1.0") {
		t.Errorf("tags repeats an existing tag:\n%s", out)
	}
	if !strings.Contains(out, "greet v0.2.0 (record it: go run ./tools/release record greet)") {
		t.Errorf("tags does not list the unreleased v0.2.0:\n%s", out)
	}
	f.git("tag", "-f", "greet/v0.1.0", "HEAD")
	if out, err := f.cli("tags"); err == nil || !strings.Contains(out, "tag greet/v0.1.0 points at") {
		t.Errorf("a tag at the wrong commit is not reported (err %v):\n%s", err, out)
	}
}

func TestRecordMovesOnlyUntaggedReleases(t *testing.T) {
	f := newFixture(t)
	f.write("greet/greet.go", "package greet\n\n// Hello greets name.\nfunc Hello(name string) string { return \"hi, \" + name }\n")
	f.commit("greet: friendlier")
	if out, err := f.cli("check"); err == nil || !strings.Contains(out, "you may instead move its record") {
		t.Fatalf("check after an unrecorded change: err %v\n%s", err, out)
	}
	if _, err := f.cli("record", "greet"); err != nil {
		t.Fatalf("moving the record of an untagged release: %v", err)
	}
	if out, err := f.cli("check"); err != nil {
		t.Fatalf("check after moving the record: %v\n%s", err, out)
	}
	f.commit("record greet v0.1.0 again")
	f.git("tag", "greet/v0.1.0", "HEAD~1")
	if _, err := f.cli("record", "greet"); err == nil || !strings.Contains(err.Error(), "is tagged") {
		t.Fatalf("moving the record of a tagged release: err %v, want refusal", err)
	}
}
