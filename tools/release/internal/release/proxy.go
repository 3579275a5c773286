package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// ModuleVersion is one version of one module held by the proxy.
type ModuleVersion struct {
	// Dir is the module's directory in the repository.
	Dir string
	// Path and Version identify the module version.
	Path, Version string
	// Commit is the commit the version was built from; "" means the work tree.
	Commit string
	// Time is the commit time (or the build time for the work tree).
	Time time.Time
	// GoMod is the module's go.mod.
	GoMod []byte
	// Hash and ModHash are the go.sum hashes of the zip and of go.mod.
	Hash, ModHash string
}

// Proxy is a file-system module proxy (GOPROXY=file://...) holding every
// module of the repository at its current version, built from the work tree,
// and at every released version, rebuilt from git at its recorded commit.
type Proxy struct {
	// Dir is the proxy's directory.
	Dir string
	// Versions lists every module version in the proxy, by module path then version.
	Versions []*ModuleVersion
}

// BuildProxy writes the proxy into dir (which must exist). A module without a
// versions entry is built as an unreleased v0.1.0.
func BuildProxy(r *Repo, v *Versions, dir string) (*Proxy, error) {
	p := &Proxy{Dir: dir}
	now := time.Now().UTC().Truncate(time.Second)
	for _, m := range r.Modules {
		e := EntryFor(v, m.Dir)
		var mvs []*ModuleVersion
		for _, rv := range e.ReleasedVersions() {
			if rv == e.Version {
				continue // the current version is built from the work tree below
			}
			commit := e.Released[rv]
			if !HasCommit(r.Root, commit) {
				return nil, fmt.Errorf("release: %s %s was released at %s, which this clone lacks (a shallow clone? run `git fetch --unshallow`)", m.Dir, rv, commit)
			}
			files, err := CommitFiles(r.Root, commit, m.Dir)
			if err != nil {
				return nil, err
			}
			t, err := CommitTime(r.Root, commit)
			if err != nil {
				return nil, err
			}
			mv, err := p.add(m, rv, commit, t, files)
			if err != nil {
				return nil, err
			}
			mvs = append(mvs, mv)
		}
		files, err := WorktreeFiles(r.Root, m.Dir)
		if err != nil {
			return nil, err
		}
		mv, err := p.add(m, e.Version, "", now, files)
		if err != nil {
			return nil, err
		}
		mvs = append(mvs, mv)
		if err := p.writeList(m.Path, mvs); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Proxy) versionDir(modPath string) (string, error) {
	esc, err := module.EscapePath(modPath)
	if err != nil {
		return "", err
	}
	return filepath.Join(p.Dir, filepath.FromSlash(esc), "@v"), nil
}

func (p *Proxy) add(m *Module, version, commit string, t time.Time, files []*File) (*ModuleVersion, error) {
	var gomod []byte
	for _, f := range files {
		if f.Name == "go.mod" {
			gomod = f.Data
		}
	}
	where := "the work tree"
	if commit != "" {
		where = "commit " + commit
	}
	if gomod == nil {
		return nil, fmt.Errorf("release: %s %s: no go.mod in %s", m.Dir, version, where)
	}
	vdir, err := p.versionDir(m.Path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return nil, err
	}
	zfiles := make([]modzip.File, len(files))
	for i, f := range files {
		zfiles[i] = f
	}
	mv := module.Version{Path: m.Path, Version: version}
	zpath := filepath.Join(vdir, version+".zip")
	zf, err := os.Create(zpath)
	if err != nil {
		return nil, err
	}
	if err := modzip.Create(zf, mv, zfiles); err != nil {
		zf.Close()
		return nil, fmt.Errorf("release: zip %s %s from %s: %w", m.Path, version, where, err)
	}
	if err := zf.Close(); err != nil {
		return nil, err
	}
	hash, err := dirhash.HashZip(zpath, dirhash.Hash1)
	if err != nil {
		return nil, err
	}
	modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gomod)), nil
	})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(vdir, version+".mod"), gomod, 0o644); err != nil {
		return nil, err
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, t.UTC()})
	if err := os.WriteFile(filepath.Join(vdir, version+".info"), info, 0o644); err != nil {
		return nil, err
	}
	res := &ModuleVersion{Dir: m.Dir, Path: m.Path, Version: version, Commit: commit, Time: t, GoMod: gomod, Hash: hash, ModHash: modHash}
	p.Versions = append(p.Versions, res)
	return res, nil
}

func (p *Proxy) writeList(modPath string, mvs []*ModuleVersion) error {
	vdir, err := p.versionDir(modPath)
	if err != nil {
		return err
	}
	vs := make([]string, len(mvs))
	for i, mv := range mvs {
		vs[i] = mv.Version
	}
	semver.Sort(vs)
	return os.WriteFile(filepath.Join(vdir, "list"), []byte(strings.Join(vs, "\n")+"\n"), 0o644)
}

// URL is the proxy's GOPROXY entry.
func (p *Proxy) URL() string { return "file://" + filepath.ToSlash(p.Dir) }

// Lookup returns the proxy's entry for a module version, or nil.
func (p *Proxy) Lookup(modPath, version string) *ModuleVersion {
	for _, mv := range p.Versions {
		if mv.Path == modPath && mv.Version == version {
			return mv
		}
	}
	return nil
}

// GoSum returns go.sum lines for every module version in the proxy, so that
// the go command verifies what it takes from the proxy or finds in its
// module cache (a stale cached copy fails loudly instead of being used).
func (p *Proxy) GoSum() string {
	var lines []string
	for _, mv := range p.Versions {
		lines = append(lines,
			fmt.Sprintf("%s %s %s", mv.Path, mv.Version, mv.Hash),
			fmt.Sprintf("%s %s/go.mod %s", mv.Path, mv.Version, mv.ModHash))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// Env returns base with the settings that make the go command resolve this
// repository's modules from the proxy only, outside the workspace:
// GOWORK=off, GOFLAGS gains -mod=mod, GOPROXY puts the proxy first (then the
// configured proxy for third-party modules), and GONOSUMDB keeps our
// unpublished modules away from the checksum database (go.sum lines from
// GoSum verify them instead). GOPRIVATE and GONOPROXY are cleared: they would
// send our modules past the proxy to a repository that does not exist yet.
// GODEBUG gains goindex=0: the go command indexes module cache directories
// by path and version only, assuming they never change, and an unreleased
// version rebuilt from a changed work tree (see PurgeStaleCache) would
// otherwise be read through the stale index.
func (p *Proxy) Env(base []string) []string {
	upstream, flags, godebug := "https://proxy.golang.org,direct", "", ""
	var out []string
	for _, kv := range base {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "GOPROXY":
			if val != "" && val != "off" {
				upstream = val
			}
			continue
		case "GOFLAGS":
			flags = val
			continue
		case "GODEBUG":
			godebug = val
			continue
		case "GOWORK", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GONOSUMCHECK":
			continue
		}
		out = append(out, kv)
	}
	if upstream == "https://proxy.golang.org,direct" {
		if v := goEnv("GOPROXY"); v != "" && v != "off" {
			upstream = v
		}
	}
	if flags == "" {
		flags = goEnv("GOFLAGS")
	}
	flags = strings.TrimSpace(removeFlag(flags, "-mod") + " -mod=mod")
	if godebug != "" {
		godebug += ","
	}
	return append(out,
		"GODEBUG="+godebug+"goindex=0",
		"GOWORK=off",
		"GOFLAGS="+flags,
		"GOPROXY="+p.URL()+","+upstream,
		"GONOSUMDB="+RepoModulePath,
		"GOPRIVATE=",
		"GONOPROXY=",
	)
}

func removeFlag(flags, name string) string {
	var keep []string
	for _, f := range strings.Fields(flags) {
		if f == name || strings.HasPrefix(f, name+"=") {
			continue
		}
		keep = append(keep, f)
	}
	return strings.Join(keep, " ")
}

func goEnv(name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// PurgeStaleCache removes from the go command's module cache any copy of a
// module version of the proxy whose content differs (an unreleased version
// rebuilt from a changed work tree keeps its version number). Copies that
// match are kept, so concurrent runs over the same tree share them.
func (p *Proxy) PurgeStaleCache() error {
	cache := goEnv("GOMODCACHE")
	if cache == "" {
		return fmt.Errorf("release: go env GOMODCACHE is empty")
	}
	for _, mv := range p.Versions {
		esc, err := module.EscapePath(mv.Path)
		if err != nil {
			return err
		}
		dl := filepath.Join(cache, "cache", "download", filepath.FromSlash(esc), "@v")
		stale := false
		if b, err := os.ReadFile(filepath.Join(dl, mv.Version+".ziphash")); err == nil && strings.TrimSpace(string(b)) != mv.Hash {
			stale = true
		}
		if b, err := os.ReadFile(filepath.Join(dl, mv.Version+".mod")); err == nil && !bytes.Equal(b, mv.GoMod) {
			stale = true
		}
		if !stale {
			continue
		}
		extracted := filepath.Join(cache, filepath.FromSlash(esc)+"@"+mv.Version)
		_ = filepath.Walk(extracted, func(p string, fi os.FileInfo, err error) error {
			if err == nil {
				_ = os.Chmod(p, fi.Mode()|0o200)
			}
			return nil
		})
		if err := os.RemoveAll(extracted); err != nil {
			return fmt.Errorf("release: purging stale %s@%s from the module cache: %w", mv.Path, mv.Version, err)
		}
		for _, ext := range []string{".zip", ".ziphash", ".mod", ".info", ".partial"} {
			if err := os.Remove(filepath.Join(dl, mv.Version+ext)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("release: purging stale %s@%s from the module cache: %w", mv.Path, mv.Version, err)
			}
		}
	}
	return nil
}

func sortStrings(s []string) { sort.Strings(s) }
