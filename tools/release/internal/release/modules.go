package release

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// RepoModulePath is the module path of the repository root: a module in
// directory d must have the path RepoModulePath + "/" + d, so that its tags
// d/vX.Y.Z are found by the go command.
const RepoModulePath = "github.com/covetgo/covet"

// Module is one Go module of the repository.
type Module struct {
	// Dir is the module's directory relative to the repository root, slash-separated.
	Dir string
	// Path is the module path from its go.mod.
	Path string
	// GoMod is the parsed go.mod.
	GoMod *modfile.File
	// InWork reports whether go.work uses the module.
	InWork bool
}

// Repo is the repository: its root and its modules.
type Repo struct {
	// Root is the absolute path of the repository root (where go.work is).
	Root string
	// Modules lists every module, sorted by directory.
	Modules []*Module
	// WorkOnly lists go.work entries whose directory has no go.mod.
	WorkOnly []string
}

// FindRoot walks up from dir to the directory holding go.work and versions.yaml.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if fileExists(filepath.Join(d, "go.work")) && fileExists(filepath.Join(d, VersionsFile)) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("release: no directory above %s holds both go.work and %s", dir, VersionsFile)
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// skipDir reports directories that never hold modules of the repository:
// hidden ones, testdata (fixtures), vendor, node_modules and _-prefixed ones,
// as the go command ignores them.
func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
		name == "testdata" || name == "vendor" || name == "node_modules"
}

// Discover finds every module of the repository: every directory with a
// go.mod (outside skipped directories), joined with go.work's use list. A
// module appearing in one but not the other is kept and flagged (InWork,
// WorkOnly) for CheckHygiene to report.
func Discover(root string) (*Repo, error) {
	repo := &Repo{Root: root}
	byDir := map[string]*Module{}
	dirs, err := goModDirs(root)
	if err != nil {
		return nil, err
	}
	for _, dir := range dirs {
		m, err := readModule(root, dir)
		if err != nil {
			return nil, err
		}
		byDir[m.Dir] = m
	}
	wb, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	wf, err := modfile.ParseWork("go.work", wb, nil)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	for _, u := range wf.Use {
		dir := path.Clean(filepath.ToSlash(u.Path))
		if m := byDir[dir]; m != nil {
			m.InWork = true
		} else {
			repo.WorkOnly = append(repo.WorkOnly, dir)
		}
	}
	for _, m := range byDir {
		repo.Modules = append(repo.Modules, m)
	}
	sort.Slice(repo.Modules, func(i, j int) bool { return repo.Modules[i].Dir < repo.Modules[j].Dir })
	return repo, nil
}

// goModDirs lists the directories holding a go.mod, relative to root: the
// files git tracks or would track (ignored ones, such as scratch
// directories, are left out), or, outside a git checkout, every go.mod
// below root. Skipped directories (skipDir) never count.
func goModDirs(root string) ([]string, error) {
	var dirs []string
	keep := func(rel string) {
		parts := strings.Split(rel, "/")
		for _, p := range parts[:len(parts)-1] {
			if skipDir(p) {
				return
			}
		}
		if d := path.Dir(rel); d != "." {
			dirs = append(dirs, d)
		}
	}
	if out, err := git(root, "ls-files", "-z", "-c", "-o", "--exclude-standard", "--", "go.mod", "**/go.mod"); err == nil {
		seen := map[string]bool{}
		for _, n := range strings.Split(string(out), "\x00") {
			if n != "" && !seen[n] && fileExists(filepath.Join(root, filepath.FromSlash(n))) {
				seen[n] = true
				keep(n)
			}
		}
		return dirs, nil
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "go.mod" {
			rel, _ := filepath.Rel(root, p)
			keep(filepath.ToSlash(rel))
		}
		return nil
	})
	return dirs, err
}

func readModule(root, dir string) (*Module, error) {
	file := filepath.Join(root, filepath.FromSlash(dir), "go.mod")
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	mf, err := modfile.Parse(file, b, nil)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	if mf.Module == nil {
		return nil, fmt.Errorf("release: %s has no module line", file)
	}
	return &Module{Dir: dir, Path: mf.Module.Mod.Path, GoMod: mf}, nil
}

// Module returns the module in directory dir, or nil.
func (r *Repo) Module(dir string) *Module {
	for _, m := range r.Modules {
		if m.Dir == dir {
			return m
		}
	}
	return nil
}

// ByPath returns the module with the given module path, or nil.
func (r *Repo) ByPath(p string) *Module {
	for _, m := range r.Modules {
		if m.Path == p {
			return m
		}
	}
	return nil
}

// ErrNoVersionConst is returned by VersionConst when the module's root
// package declares no Version constant.
var ErrNoVersionConst = errors.New("no Version constant")

// VersionConst returns the value of the string constant Version declared in
// the module's root directory (non-test files), as the module exposes it.
func VersionConst(root string, m *Module) (value, file string, err error) {
	dir := filepath.Join(root, filepath.FromSlash(m.Dir))
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", "", err
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			return "", "", err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if name.Name != "Version" || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return "", n, fmt.Errorf("release: %s/%s: Version is not a string literal", m.Dir, n)
					}
					s, _ := strconv.Unquote(lit.Value)
					return s, path.Join(m.Dir, n), nil
				}
			}
		}
	}
	return "", "", ErrNoVersionConst
}
