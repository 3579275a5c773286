package release

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CheckReleasedUnchanged reports modules whose current version is a
// released one although their files differ from the release commit: a
// released version is immutable, so a changed module needs a new version.
func CheckReleasedUnchanged(r *Repo, v *Versions) ([]Problem, error) {
	var out []Problem
	for _, m := range r.Modules {
		e := v.Modules[m.Dir]
		if e == nil || !e.IsReleased() {
			continue
		}
		commit := e.Released[e.Version]
		if !HasCommit(r.Root, commit) {
			return nil, fmt.Errorf("release: %s %s was released at %s, which this clone lacks (a shallow clone? run `git fetch --unshallow`)", m.Dir, e.Version, commit)
		}
		then, err := CommitFiles(r.Root, commit, m.Dir)
		if err != nil {
			return nil, err
		}
		now, err := WorktreeFiles(r.Root, m.Dir)
		if err != nil {
			return nil, err
		}
		if diff := DiffFiles(then, now); len(diff) > 0 {
			msg := fmt.Sprintf(
				"files changed since %s was released at %s, but %s still says %s (a released version never changes): "+
					"set version: %s (or %s if the exported API changed; the API guard tells; `go run ./tools/release set %s <version>`) and note the change in CHANGELOG.md.",
				e.Version, short(commit), VersionsFile, e.Version, nextPatch(e.Version), nextMinor(e.Version), m.Dir)
			if _, tagged := TagCommit(r.Root, TagName(m.Dir, e.Version)); !tagged {
				msg += fmt.Sprintf(" While %s is not tagged (not published), you may instead move its record to the commit of these changes: "+
					"commit them, then `go run ./tools/release record %s`.", TagName(m.Dir, e.Version), m.Dir)
			}
			out = append(out, Problem{m.Dir, msg + " Changed: " + listSome(diff, 10)})
		}
	}
	return out, nil
}

// listSome joins the first n items and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

func nextPatch(v string) string {
	var maj, min, patch int
	fmt.Sscanf(v, "v%d.%d.%d", &maj, &min, &patch)
	return fmt.Sprintf("v%d.%d.%d", maj, min, patch+1)
}

// changelogHas reports whether the module's CHANGELOG.md has a section for
// the version (a line starting with "## vX.Y.Z").
func changelogHas(root, dir, version string) bool {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(dir), "CHANGELOG.md"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "## "+version); ok && (rest == "" || rest[0] == ' ') {
			return true
		}
	}
	return false
}

// TagCommands returns the git commands that tag module versions not tagged
// yet: every released version (whose CHANGELOG.md has a section for it) at
// its recorded commit, and, as a comment,
// every module's unreleased current version (to be recorded in the versions
// file at the release commit first). A tag that exists at another commit is
// reported as a problem.
func TagCommands(r *Repo, v *Versions) (cmds []string, problems []Problem) {
	var pending []string
	for _, m := range r.Modules {
		e := v.Modules[m.Dir]
		if e == nil {
			continue
		}
		for _, rv := range e.ReleasedVersions() {
			tag, commit := TagName(m.Dir, rv), e.Released[rv]
			if at, ok := TagCommit(r.Root, tag); ok {
				if at != commit {
					problems = append(problems, Problem{m.Dir, fmt.Sprintf("tag %s points at %s, but %s records %s", tag, short(at), VersionsFile, short(commit))})
				}
				continue
			}
			if !changelogHas(r.Root, m.Dir, rv) {
				problems = append(problems, Problem{m.Dir, fmt.Sprintf("%s/CHANGELOG.md has no \"## %s\" section: write what the release changes before tagging it", m.Dir, rv)})
				continue
			}
			cmds = append(cmds, fmt.Sprintf("git tag -a %s %s -m %q", tag, commit, m.Path+" "+rv))
		}
		if !e.IsReleased() {
			pending = append(pending, fmt.Sprintf("#   %s %s (record it: go run ./tools/release record %s)", m.Dir, e.Version, m.Dir))
		}
	}
	if len(pending) > 0 {
		cmds = append(cmds, "# not released yet (record the release commit in "+VersionsFile+", then run tags again):")
		cmds = append(cmds, pending...)
	}
	return cmds, problems
}
