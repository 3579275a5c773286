package release

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/exp/apidiff"
	"golang.org/x/mod/semver"
	"golang.org/x/tools/go/packages"
)

// LoadAPI loads the exported API of the module in dir: its packages other
// than main, internal and test packages, type-checked. env is the go
// command's environment (nil: the current one).
func LoadAPI(dir, modPath string, env []string) (*apidiff.Module, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedTypes | packages.NeedModule,
		Dir:  dir,
		Env:  env,
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		return nil, fmt.Errorf("release: loading %s in %s: %w", modPath, dir, err)
	}
	var errs []string
	m := &apidiff.Module{Path: modPath}
	for _, p := range pkgs {
		for _, e := range p.Errors {
			errs = append(errs, e.Error())
		}
		if p.Name == "main" || p.Types == nil || isInternal(p.PkgPath) {
			continue
		}
		if p.Module != nil && p.Module.Path != modPath {
			continue
		}
		m.Packages = append(m.Packages, p.Types)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("release: loading %s in %s:\n  %s", modPath, dir, strings.Join(errs, "\n  "))
	}
	return m, nil
}

func isInternal(p string) bool {
	return strings.HasSuffix(p, "/internal") || strings.Contains(p, "/internal/") || strings.HasPrefix(p, "internal/")
}

// APIChange is the API guard's verdict for one module.
type APIChange struct {
	// Dir is the module directory.
	Dir string
	// Base and BaseCommit are the release compared with.
	Base, BaseCommit string
	// Version is the module's current version.
	Version string
	// Incompatible and Compatible list apidiff's messages.
	Incompatible, Compatible []string
}

// Problem returns the guard's finding, or nil when the version change fits
// the API change. The rules (see tools/release/README.md):
//   - v1 and later: an incompatible change needs a new major version (a new
//     module path ending in /vN); a compatible addition needs at least a minor bump;
//   - v0 (the API may still move): any change of the exported API,
//     incompatible or not, needs at least a minor bump (v0.3.0 after v0.2.x);
//     a patch bump is for changes that leave the exported API as it was;
//   - a version equal to its release allows no API change at all.
func (c *APIChange) Problem() *Problem {
	if len(c.Incompatible) == 0 && len(c.Compatible) == 0 {
		return nil
	}
	base, cur := c.Base, c.Version
	sameMajor := semver.Major(base) == semver.Major(cur)
	sameMinor := semver.MajorMinor(base) == semver.MajorMinor(cur)
	var need, why string
	switch {
	case semver.Major(cur) != "v0" && len(c.Incompatible) > 0 && sameMajor:
		need = fmt.Sprintf("a new major version (module path ending in /%s)", nextMajor(base))
		why = "incompatible API changes"
	case sameMinor:
		need = "at least " + nextMinor(base)
		why = "API changes"
		if len(c.Incompatible) > 0 {
			why = "incompatible API changes"
		} else {
			why = "new API (compatible additions)"
		}
	default:
		return nil
	}
	var b strings.Builder
	if cur == base {
		fmt.Fprintf(&b, "exported API changed since %s (released at %s) but %s still says %s: %s need %s; set version: %s in %s (and the Version constant, and CHANGELOG.md)",
			base, short(c.BaseCommit), VersionsFile, cur, why, need, suggest(base, c.Incompatible), VersionsFile)
	} else {
		fmt.Fprintf(&b, "%s since %s (released at %s) need %s, but %s says %s: set version: %s",
			why, base, short(c.BaseCommit), need, VersionsFile, cur, suggest(base, c.Incompatible))
	}
	if len(c.Incompatible) > 0 {
		b.WriteString("\n    incompatible changes:")
		for _, m := range c.Incompatible {
			b.WriteString("\n      - " + m)
		}
	}
	if len(c.Compatible) > 0 {
		b.WriteString("\n    compatible changes:")
		for _, m := range c.Compatible {
			b.WriteString("\n      - " + m)
		}
	}
	return &Problem{Dir: c.Dir, Msg: b.String()}
}

func suggest(base string, incompatible []string) string {
	if semver.Major(base) != "v0" && len(incompatible) > 0 {
		return nextMajor(base) + ".0.0 (in a new /" + nextMajor(base) + " module)"
	}
	return nextMinor(base)
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

func nextMinor(v string) string {
	var maj, min int
	fmt.Sscanf(semver.MajorMinor(v), "v%d.%d", &maj, &min)
	return fmt.Sprintf("v%d.%d.0", maj, min+1)
}

func nextMajor(v string) string {
	var maj int
	fmt.Sscanf(semver.Major(v), "v%d", &maj)
	return fmt.Sprintf("v%d", maj+1)
}

// Guard compares the exported API of modules with their last releases,
// rebuilding each release from git.
type Guard struct {
	// Root is the repository root.
	Root string
	// Work holds the release trees, one directory per commit; it may be
	// shared between runs (see SharedWorkDir).
	Work string
	// extracted caches commit -> extracted tree.
	extracted map[string]string
}

// Check compares module m (current tree, loaded in workspace mode) with its
// last release (the whole repository extracted at the release commit, the
// module loaded there with GOWORK=off so its replace directives point at the
// siblings of that commit). It returns nil when nothing was released or the
// release is of another major version.
func (g *Guard) Check(m *Module, e *Entry) (*APIChange, error) {
	base, commit, ok := e.LastRelease()
	if !ok || semver.Major(base) != semver.Major(e.Version) {
		return nil, nil
	}
	if !HasCommit(g.Root, commit) {
		return nil, fmt.Errorf("release: %s %s was released at %s, which this clone lacks (a shallow clone? run `git fetch --unshallow`)", m.Dir, base, commit)
	}
	if g.extracted == nil {
		g.extracted = map[string]string{}
	}
	tree := g.extracted[commit]
	if tree == "" {
		var err error
		if tree, err = ExtractCommitShared(g.Root, commit, g.Work); err != nil {
			return nil, err
		}
		g.extracted[commit] = tree
	}
	oldEnv := append(withoutEnv(os.Environ(), "GOWORK", "GOFLAGS"), "GOWORK=off", "GOFLAGS="+strings.TrimSpace(removeFlag(goEnv("GOFLAGS"), "-mod")+" -mod=mod"))
	oldAPI, err := LoadAPI(filepath.Join(tree, filepath.FromSlash(m.Dir)), m.Path, oldEnv)
	if err != nil {
		return nil, fmt.Errorf("release: %s at its release %s: %w", m.Dir, base, err)
	}
	newAPI, err := LoadAPI(filepath.Join(g.Root, filepath.FromSlash(m.Dir)), m.Path, nil)
	if err != nil {
		return nil, err
	}
	c := &APIChange{Dir: m.Dir, Base: base, BaseCommit: commit, Version: e.Version}
	for _, ch := range apidiff.ModuleChanges(oldAPI, newAPI).Changes {
		if strings.HasPrefix(ch.Message, "Version: value changed") {
			// The root package's Version constant changes with every
			// release by design; it is checked against versions.yaml instead.
			continue
		}
		if ch.Compatible {
			c.Compatible = append(c.Compatible, ch.Message)
		} else {
			c.Incompatible = append(c.Incompatible, ch.Message)
		}
	}
	return c, nil
}

// SharedWorkDir returns a directory under the system's temporary directory
// for work that runs may share (release trees, module copies), so that the
// go command's build cache keeps what it compiled there between runs.
func SharedWorkDir(name string) string {
	return filepath.Join(os.TempDir(), "covet-release", name)
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			if k == n {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}
