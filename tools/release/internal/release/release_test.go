package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

func TestParseVersions(t *testing.T) {
	const hash = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{"valid", "modules:\n  core:\n    version: v0.2.0\n    released:\n      v0.1.0: " + hash + "\n", ""},
		{"not canonical", "modules:\n  core:\n    version: v0.2\n", `version "v0.2" is not a canonical`},
		{"no v", "modules:\n  core:\n    version: 0.2.0\n", "is not a canonical"},
		{"short hash", "modules:\n  core:\n    version: v0.2.0\n    released:\n      v0.1.0: abc123\n", "not a full 40-hex commit hash"},
		{"older than a release", "modules:\n  core:\n    version: v0.1.0\n    released:\n      v0.2.0: " + hash + "\n", "version v0.1.0 is older than released v0.2.0"},
		{"unknown field", "modules:\n  core:\n    version: v0.1.0\n    tag: x\n", "field tag not found"},
		{"empty entry", "modules:\n  core:\n", "core: empty entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVersions([]byte(tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLastRelease(t *testing.T) {
	e := &Entry{Version: "v0.3.0", Released: map[string]string{"v0.1.0": "a", "v0.2.0": "b", "v0.10.0": "c"}}
	if v, c, ok := e.LastRelease(); !ok || v != "v0.2.0" || c != "b" {
		t.Errorf("LastRelease = %s %s %v, want v0.2.0 b (semver order, not newer than current)", v, c, ok)
	}
	if _, _, ok := (&Entry{Version: "v0.1.0"}).LastRelease(); ok {
		t.Error("LastRelease of an unreleased module is ok")
	}
}

func mod(t *testing.T, dir, gomod string) *Module {
	t.Helper()
	f, err := modfile.Parse(dir+"/go.mod", []byte(gomod), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Module{Dir: dir, Path: f.Module.Mod.Path, GoMod: f, InWork: true}
}

func TestCheckHygiene(t *testing.T) {
	core := "module github.com/covetgo/covet/core\n\ngo 1.25.0\n"
	vers := &Versions{Modules: map[string]*Entry{
		"core":        {Version: "v0.2.0", Released: map[string]string{"v0.1.0": "x"}},
		"plugins/foo": {Version: "v0.1.0"},
	}}
	tests := []struct {
		name   string
		foo    string
		inWork bool
		want   string // "" means no problem
		goFile string // plugins/foo/version.go, if any
	}{
		{"good", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\nrequire github.com/covetgo/covet/core v0.1.0\nreplace github.com/covetgo/covet/core => ../../core\n", true, "", ""},
		{"current version", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\nrequire github.com/covetgo/covet/core v0.2.0\nreplace github.com/covetgo/covet/core => ../../core\n", true, "", ""},
		{"unknown version", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\nrequire github.com/covetgo/covet/core v0.3.0\nreplace github.com/covetgo/covet/core => ../../core\n", true, "lists no such version for core (current v0.2.0, released v0.1.0)", ""},
		{"missing replace", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\nrequire github.com/covetgo/covet/core v0.2.0\n", true, "add `replace github.com/covetgo/covet/core => ../../core`", ""},
		{"replace to a fork", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\nreplace github.com/x/y => github.com/me/y v1.0.0\n", true, "may only point at a directory of this repository", ""},
		{"replace outside", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\nreplace github.com/x/y => ../../../y\n", true, "leaves the repository", ""},
		{"replace to wrong module", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\nreplace github.com/covetgo/covet/other => ../../core\n", true, "that directory holds module github.com/covetgo/covet/core", ""},
		{"wrong module path", "module example.com/foo\ngo 1.25.0\n", true, "must be github.com/covetgo/covet/plugins/foo", ""},
		{"not in go.work", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\n", false, "go work use ./plugins/foo", ""},
		{"version constant in step", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\n", true, "", "package foo\n\nconst Version = \"0.1.0\"\n"},
		{"version constant out of step", "module github.com/covetgo/covet/plugins/foo\ngo 1.25.0\n", true, `plugins/foo/version.go declares Version = "0.9.0" but versions.yaml says v0.1.0`, "package foo\n\nconst Version = \"0.9.0\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			foo := mod(t, "plugins/foo", tt.foo)
			foo.InWork = tt.inWork
			root := t.TempDir()
			for _, d := range []string{"core", "plugins/foo"} {
				if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if tt.goFile != "" {
				if err := os.WriteFile(filepath.Join(root, "plugins/foo/version.go"), []byte(tt.goFile), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			repo := &Repo{Root: root, Modules: []*Module{mod(t, "core", core), foo}}
			problems := CheckHygiene(repo, vers)
			var msgs []string
			for _, p := range problems {
				msgs = append(msgs, p.String())
			}
			all := strings.Join(msgs, "\n")
			if tt.want == "" && len(problems) > 0 {
				t.Fatalf("unexpected problems:\n%s", all)
			}
			if tt.want != "" && !strings.Contains(all, tt.want) {
				t.Fatalf("problems lack %q:\n%s", tt.want, all)
			}
		})
	}
}

func TestCompletenessNamesTheFix(t *testing.T) {
	repo := &Repo{Modules: []*Module{mod(t, "plugins/new", "module github.com/covetgo/covet/plugins/new\ngo 1.25.0\n")}}
	vers := &Versions{Modules: map[string]*Entry{"plugins/gone": {Version: "v0.1.0"}}}
	var all []string
	for _, p := range CheckCompleteness(repo, vers) {
		all = append(all, p.String())
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{"plugins/new: module github.com/covetgo/covet/plugins/new has no entry in versions.yaml", "  plugins/new:\n    version: v0.1.0", "plugins/gone: versions.yaml lists plugins/gone, but there is no go.mod"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

func TestBumpRules(t *testing.T) {
	inc, comp := []string{"F: changed"}, []string{"G: added"}
	tests := []struct {
		name        string
		base, cur   string
		inc, comp   []string
		wantProblem string // "" means accepted
	}{
		{"no change, same version", "v0.1.0", "v0.1.0", nil, nil, ""},
		{"no change, patch", "v0.1.0", "v0.1.1", nil, nil, ""},
		{"v0 addition, patch", "v0.1.0", "v0.1.1", nil, comp, "need at least v0.2.0"},
		{"v0 addition, minor", "v0.1.0", "v0.2.0", nil, comp, ""},
		{"v0 break, minor", "v0.1.3", "v0.2.0", inc, nil, ""},
		{"v0 break, unchanged", "v0.1.0", "v0.1.0", inc, nil, "still says v0.1.0"},
		{"v1 addition, patch", "v1.2.0", "v1.2.1", nil, comp, "need at least v1.3.0"},
		{"v1 addition, minor", "v1.2.0", "v1.3.0", nil, comp, ""},
		{"v1 break, minor", "v1.2.0", "v1.3.0", inc, nil, "a new major version (module path ending in /v2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &APIChange{Dir: "m", Base: tt.base, BaseCommit: "0123456789abcdef", Version: tt.cur, Incompatible: tt.inc, Compatible: tt.comp}
			p := c.Problem()
			switch {
			case tt.wantProblem == "" && p != nil:
				t.Fatalf("unexpected problem: %s", p)
			case tt.wantProblem != "" && p == nil:
				t.Fatalf("no problem, want %q", tt.wantProblem)
			case p != nil && !strings.Contains(p.Msg, tt.wantProblem):
				t.Fatalf("problem %q lacks %q", p.Msg, tt.wantProblem)
			}
		})
	}
}

func TestWithoutNested(t *testing.T) {
	files := []*File{{Name: "go.mod"}, {Name: "a.go"}, {Name: "sub/b.go"}, {Name: "nested/go.mod"}, {Name: "nested/c.go"}, {Name: "nested/deep/d.go"}}
	var got []string
	for _, f := range withoutNested(files) {
		got = append(got, f.Name)
	}
	if strings.Join(got, " ") != "go.mod a.go sub/b.go" {
		t.Errorf("withoutNested = %v", got)
	}
}

func TestEnvPrefersTheLocalProxy(t *testing.T) {
	p := &Proxy{Dir: "/tmp/proxy"}
	env := p.Env([]string{"GOPROXY=https://corp.example/proxy", "GOFLAGS=-buildvcs=false -mod=vendor", "GOPRIVATE=github.com/covetgo", "GOWORK=/x/go.work", "HOME=/root"})
	want := map[string]string{
		"GOPROXY":   "file:///tmp/proxy,https://corp.example/proxy",
		"GOFLAGS":   "-buildvcs=false -mod=mod",
		"GOWORK":    "off",
		"GOPRIVATE": "",
		"GONOSUMDB": "github.com/covetgo/covet",
		"HOME":      "/root",
		"GODEBUG":   "goindex=0",
	}
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s set twice", k)
		}
		got[k] = v
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
}
