package release

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/semver"
)

// VersionsFile is the name of the versions file at the repository root.
const VersionsFile = "versions.yaml"

// Entry is one module's line in the versions file.
type Entry struct {
	// Version is the version of the module as it is in this tree: either a
	// released version (listed in Released) or the next one to release.
	Version string `yaml:"version"`
	// Released maps each released version to the full commit hash it was
	// released at.
	Released map[string]string `yaml:"released,omitempty"`
}

// Versions is the parsed versions file: module directory (relative to the
// repository root, slash-separated) to entry.
type Versions struct {
	Modules map[string]*Entry `yaml:"modules"`
}

// LoadVersions reads and parses root/versions.yaml.
func LoadVersions(root string) (*Versions, error) {
	b, err := os.ReadFile(filepath.Join(root, VersionsFile))
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	return ParseVersions(b)
}

// ParseVersions parses the versions file's content and checks its syntax:
// every version is canonical semver ("v0.2.0") and every commit a full hash.
func ParseVersions(b []byte) (*Versions, error) {
	var v Versions
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("release: %s: %w", VersionsFile, err)
	}
	if v.Modules == nil {
		v.Modules = map[string]*Entry{}
	}
	var errs []string
	for _, dir := range v.Dirs() {
		e := v.Modules[dir]
		if e == nil {
			errs = append(errs, fmt.Sprintf("%s: empty entry", dir))
			continue
		}
		if !isCanonical(e.Version) {
			errs = append(errs, fmt.Sprintf("%s: version %q is not a canonical semantic version such as v0.1.0", dir, e.Version))
		}
		for rv, commit := range e.Released {
			if !isCanonical(rv) {
				errs = append(errs, fmt.Sprintf("%s: released version %q is not a canonical semantic version", dir, rv))
			}
			if !fullHash.MatchString(commit) {
				errs = append(errs, fmt.Sprintf("%s: released %s: %q is not a full 40-hex commit hash", dir, rv, commit))
			}
		}
		if isCanonical(e.Version) {
			for _, rv := range e.ReleasedVersions() {
				if semver.Compare(rv, e.Version) > 0 {
					errs = append(errs, fmt.Sprintf("%s: version %s is older than released %s", dir, e.Version, rv))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("release: %s:\n  %s", VersionsFile, strings.Join(errs, "\n  "))
	}
	return &v, nil
}

var fullHash = regexp.MustCompile(`^[0-9a-f]{40}$`)

func isCanonical(v string) bool { return semver.IsValid(v) && semver.Canonical(v) == v }

// Dirs returns the module directories of the file, sorted.
func (v *Versions) Dirs() []string {
	out := make([]string, 0, len(v.Modules))
	for d := range v.Modules {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// ReleasedVersions returns the released versions, oldest first.
func (e *Entry) ReleasedVersions() []string {
	out := make([]string, 0, len(e.Released))
	for v := range e.Released {
		out = append(out, v)
	}
	semver.Sort(out)
	return out
}

// IsReleased reports whether the current version is a released one.
func (e *Entry) IsReleased() bool { _, ok := e.Released[e.Version]; return ok }

// LastRelease returns the newest released version not newer than the
// current version, and its commit; ok is false when nothing was released.
func (e *Entry) LastRelease() (version, commit string, ok bool) {
	rs := e.ReleasedVersions()
	for i := len(rs) - 1; i >= 0; i-- {
		if semver.Compare(rs[i], e.Version) <= 0 {
			return rs[i], e.Released[rs[i]], true
		}
	}
	return "", "", false
}

// Known reports whether version is one of the module's versions: released,
// or the current one.
func (e *Entry) Known(version string) bool {
	_, ok := e.Released[version]
	return ok || version == e.Version
}

// EntrySnippet is the YAML to add to the versions file for a new module.
func EntrySnippet(dir string) string {
	return fmt.Sprintf("  %s:\n    version: v0.1.0\n", dir)
}
