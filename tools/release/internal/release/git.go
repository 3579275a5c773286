package release

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// git runs git in root and returns its standard output.
func git(root string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("release: git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// HasCommit reports whether the repository has the commit (a shallow clone
// may lack old ones).
func HasCommit(root, commit string) bool {
	_, err := git(root, "cat-file", "-e", commit+"^{commit}")
	return err == nil
}

// CommitTime returns the commit's committer time.
func CommitTime(root, commit string) (time.Time, error) {
	out, err := git(root, "show", "-s", "--format=%cI", commit)
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339, strings.TrimSpace(string(out)))
}

// Head returns the full hash of HEAD.
func Head(root string) (string, error) {
	out, err := git(root, "rev-parse", "HEAD")
	return strings.TrimSpace(string(out)), err
}

// TagCommit returns the commit a tag points at, if the tag exists.
func TagCommit(root, tag string) (string, bool) {
	out, err := git(root, "rev-parse", "-q", "--verify", "refs/tags/"+tag+"^{commit}")
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(out)), true
}

// File is a file of a module, held in memory; it implements the File
// interface of golang.org/x/mod/zip.
type File struct {
	// Name is the slash-separated path relative to the module root.
	Name string
	// Data is the content.
	Data []byte
	// Mode is the file mode.
	Mode fs.FileMode
}

// Path implements zip.File.
func (f *File) Path() string { return f.Name }

// Lstat implements zip.File.
func (f *File) Lstat() (os.FileInfo, error) { return fileInfo{f}, nil }

// Open implements zip.File.
func (f *File) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.Data)), nil }

// fileInfo describes a File for zip.Create.
type fileInfo struct{ f *File }

func (i fileInfo) Name() string       { return path.Base(i.f.Name) }
func (i fileInfo) Size() int64        { return int64(len(i.f.Data)) }
func (i fileInfo) Mode() fs.FileMode  { return i.f.Mode }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return false }
func (i fileInfo) Sys() any           { return nil }

// WorktreeFiles returns the module's files as they are on disk: those git
// tracks plus untracked ones it does not ignore, without files of nested
// modules. Outside a git checkout it walks the directory.
func WorktreeFiles(root, dir string) ([]*File, error) {
	var names []string
	if out, err := git(root, "ls-files", "-z", "-c", "-o", "--exclude-standard", "--", dir); err == nil {
		for _, n := range strings.Split(string(out), "\x00") {
			if n != "" {
				names = append(names, n)
			}
		}
	} else {
		err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(dir)), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			names = append(names, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var files []*File
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(n)))
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or not a regular file
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(n)))
		if err != nil {
			return nil, err
		}
		files = append(files, &File{Name: strings.TrimPrefix(n, dir+"/"), Data: b, Mode: fi.Mode().Perm()})
	}
	return withoutNested(files), nil
}

// CommitFiles returns the module's files at a commit (git archive).
func CommitFiles(root, commit, dir string) ([]*File, error) {
	out, err := git(root, "archive", "--format=tar", commit, "--", dir)
	if err != nil {
		return nil, err
	}
	var files []*File
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files = append(files, &File{Name: strings.TrimPrefix(h.Name, dir+"/"), Data: b, Mode: fs.FileMode(h.Mode).Perm()})
	}
	return withoutNested(files), nil
}

// ExtractCommit writes the whole tree of a commit into dest.
func ExtractCommit(root, commit, dest string) error {
	out, err := git(root, "archive", "--format=tar", commit)
	if err != nil {
		return err
	}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dest, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := os.WriteFile(p, b, fs.FileMode(h.Mode).Perm()|0o200); err != nil {
				return err
			}
		}
	}
}

// withoutNested drops files that belong to nested modules (below a
// subdirectory with its own go.mod), which are not part of the module.
func withoutNested(files []*File) []*File {
	nested := map[string]bool{}
	for _, f := range files {
		if path.Base(f.Name) == "go.mod" && f.Name != "go.mod" {
			nested[path.Dir(f.Name)] = true
		}
	}
	if len(nested) == 0 {
		return files
	}
	out := files[:0]
	for _, f := range files {
		keep := true
		for d := path.Dir(f.Name); d != "." && d != "/"; d = path.Dir(d) {
			if nested[d] {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, f)
		}
	}
	return out
}

// DiffFiles lists the files that differ between two file sets (added,
// removed or changed), sorted.
func DiffFiles(a, b []*File) []string {
	am := map[string][]byte{}
	for _, f := range a {
		am[f.Name] = f.Data
	}
	var out []string
	for _, f := range b {
		old, ok := am[f.Name]
		switch {
		case !ok:
			out = append(out, f.Name+" (added)")
		case !bytes.Equal(old, f.Data):
			out = append(out, f.Name)
		}
		delete(am, f.Name)
	}
	for n := range am {
		out = append(out, n+" (removed)")
	}
	sortStrings(out)
	return out
}

// SyncDir makes dir hold exactly files: it writes the files whose content
// differs (atomically, by rename) and removes the others. Rewriting nothing
// that is already right keeps the go command's build cache valid for a
// directory that is reused between runs.
func SyncDir(dir string, files []*File) error {
	want := map[string]bool{}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		want[p] = true
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, f.Data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		tmp, err := os.CreateTemp(filepath.Dir(p), ".sync-*")
		if err != nil {
			return err
		}
		_, werr := tmp.Write(f.Data)
		cerr := tmp.Close()
		if werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Chmod(tmp.Name(), f.Mode|0o600)
		}
		if werr == nil {
			werr = os.Rename(tmp.Name(), p)
		}
		if werr != nil {
			os.Remove(tmp.Name())
			return werr
		}
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || want[p] || strings.HasPrefix(d.Name(), ".sync-") {
			return err
		}
		return os.Remove(p)
	})
}

// ExtractCommitShared returns a directory holding the whole tree of a
// commit, under base, extracting it only once: a commit never changes, so
// runs share the tree (and the go command's build cache for it).
func ExtractCommitShared(root, commit, base string) (string, error) {
	final := filepath.Join(base, commit)
	if fi, err := os.Stat(final); err == nil && fi.IsDir() {
		return final, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(base, ".extract-")
	if err != nil {
		return "", err
	}
	if err := ExtractCommit(root, commit, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp) // another run got there first
		if _, serr := os.Stat(final); serr != nil {
			return "", err
		}
	}
	return final, nil
}
