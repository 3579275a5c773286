package release

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Problem is one finding of a check, with the fix in its message.
type Problem struct {
	// Dir is the module directory concerned ("" for the repository).
	Dir string
	// Msg says what is wrong and what to do.
	Msg string
}

// String returns "dir: message", or the message alone for the repository.
func (p Problem) String() string {
	if p.Dir == "" {
		return p.Msg
	}
	return p.Dir + ": " + p.Msg
}

// EntryFor returns the module's versions entry; a module without one is
// treated as an unreleased v0.1.0 so that the other checks still run (the
// missing entry is reported by CheckCompleteness).
func EntryFor(v *Versions, dir string) *Entry {
	if e := v.Modules[dir]; e != nil {
		return e
	}
	return &Entry{Version: "v0.1.0"}
}

// CheckCompleteness reports modules that have no entry in the versions file
// and entries that name no module.
func CheckCompleteness(r *Repo, v *Versions) []Problem {
	var out []Problem
	for _, m := range r.Modules {
		if v.Modules[m.Dir] == nil {
			out = append(out, Problem{m.Dir, fmt.Sprintf(
				"module %s has no entry in %s. Add it under \"modules:\" (the version it will be released as; "+
					"list \"released:\" versions only once tagged):\n%s", m.Path, VersionsFile, EntrySnippet(m.Dir))})
		}
	}
	for _, dir := range v.Dirs() {
		if r.Module(dir) == nil {
			out = append(out, Problem{dir, fmt.Sprintf("%s lists %s, but there is no go.mod in that directory: remove the entry or fix its directory", VersionsFile, dir)})
		}
	}
	return out
}

// CheckHygiene checks every module's go.mod and version constant against the
// repository's rules:
//   - the module is in go.work, and its path is RepoModulePath/dir (with a
//     /vN suffix from v2 on), so that dir/vX.Y.Z tags resolve;
//   - every requirement of a module of this repository names a version the
//     versions file knows for it (released, or its current version), and has
//     a replace to that module's directory;
//   - replace directives point only at directories of modules of this
//     repository, by relative path, and replace exactly that module;
//   - a Version constant in the module's root package equals its version.
func CheckHygiene(r *Repo, v *Versions) []Problem {
	var out []Problem
	add := func(dir, format string, args ...any) { out = append(out, Problem{dir, fmt.Sprintf(format, args...)}) }
	for _, dir := range r.WorkOnly {
		add(dir, "go.work uses ./%s, which has no go.mod: remove it with `go work edit -dropuse ./%s`", dir, dir)
	}
	for _, m := range r.Modules {
		e := EntryFor(v, m.Dir)
		if !m.InWork {
			add(m.Dir, "not in go.work: run `go work use ./%s` at the repository root", m.Dir)
		}
		want := RepoModulePath + "/" + m.Dir
		if maj := semver.Major(e.Version); maj != "v0" && maj != "v1" {
			want += "/" + maj
		}
		if m.Path != want {
			add(m.Dir, "module path is %s; a module in this directory at %s must be %s", m.Path, e.Version, want)
		}
		replaced := map[string]string{}
		for _, rp := range m.GoMod.Replace {
			replaced[rp.Old.Path] = rp.New.Path
			target := rp.New.Path
			if rp.New.Version != "" || !(strings.HasPrefix(target, "./") || strings.HasPrefix(target, "../")) {
				add(m.Dir, "replace %s => %s %s: replace may only point at a directory of this repository, by relative path", rp.Old.Path, rp.New.Path, rp.New.Version)
				continue
			}
			tdir := path.Clean(path.Join(m.Dir, filepath.ToSlash(target)))
			if tdir == ".." || strings.HasPrefix(tdir, "../") {
				add(m.Dir, "replace %s => %s leaves the repository", rp.Old.Path, target)
				continue
			}
			tm := r.Module(tdir)
			switch {
			case tm == nil:
				add(m.Dir, "replace %s => %s: %s is not a module of this repository", rp.Old.Path, target, tdir)
			case tm.Path != rp.Old.Path:
				add(m.Dir, "replace %s => %s: that directory holds module %s", rp.Old.Path, target, tm.Path)
			}
		}
		for _, req := range m.GoMod.Require {
			if !strings.HasPrefix(req.Mod.Path, RepoModulePath+"/") {
				continue
			}
			dep := r.ByPath(req.Mod.Path)
			if dep == nil {
				add(m.Dir, "requires %s, which is not a module of this repository", req.Mod.Path)
				continue
			}
			de := EntryFor(v, dep.Dir)
			if !de.Known(req.Mod.Version) {
				add(m.Dir, "requires %s %s, but %s lists no such version for %s (current %s%s): require a released version, or the current one",
					req.Mod.Path, req.Mod.Version, VersionsFile, dep.Dir, de.Version, releasedList(de))
			}
			if _, ok := replaced[req.Mod.Path]; !ok {
				rel, _ := filepath.Rel(filepath.FromSlash(m.Dir), filepath.FromSlash(dep.Dir))
				add(m.Dir, "requires %s without a replace: add `replace %s => %s` so that go mod tidy works in the module",
					req.Mod.Path, req.Mod.Path, filepath.ToSlash(rel))
			}
		}
		got, file, err := VersionConst(r.Root, m)
		switch {
		case errors.Is(err, ErrNoVersionConst):
		case err != nil:
			add(m.Dir, "reading its Version constant: %v", err)
		case "v"+got != e.Version:
			add(m.Dir, "%s declares Version = %q but %s says %s: make them equal (%q)", file, got, VersionsFile, e.Version, strings.TrimPrefix(e.Version, "v"))
		}
	}
	return out
}

func releasedList(e *Entry) string {
	rs := e.ReleasedVersions()
	if len(rs) == 0 {
		return ", nothing released"
	}
	return ", released " + strings.Join(rs, " ")
}

// TagName is the git tag of a module version: "core/v0.2.0".
func TagName(dir, version string) string { return dir + "/" + version }

// CheckPath verifies a module path and version pair is valid for the go command.
func CheckPath(p, version string) error { return module.Check(p, version) }
