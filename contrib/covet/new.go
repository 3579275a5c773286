package main

import (
	"bytes"
	"embed"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
)

//go:embed templates
var templateFiles embed.FS

// moduleVersions are the versions of this repository's modules a new app
// requires: those of versions.yaml when this covet was built (a test keeps
// them in step).
var moduleVersions = map[string]string{
	"core":            "v0.2.0",
	"plugins/openapi": "v0.1.0",
	"plugins/orm":     "v0.1.0",
	"plugins/tmpl":    "v0.1.0",
}

// newGoVersion is the go directive of a new app's go.mod.
const newGoVersion = "1.25.0"

var appName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// modulePath is what --module accepts: slash-separated elements of the
// characters Go allows in a module path (letters, digits, - . _ ~ +), each
// starting with a letter or digit. It keeps quotes, spaces and newlines out
// of the generated go.mod.
var modulePath = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~+-]*(/[A-Za-z0-9][A-Za-z0-9._~+-]*)*$`)

type newData struct {
	Name, Module, GoVersion string
	Web                     bool
	Versions                map[string]string
}

func cmdNew(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("new", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tmplName := fs.String("template", "api", "api or web")
	module := fs.String("module", "", "module path (default: the name)")
	noTidy := fs.Bool("no-tidy", false, "do not run go mod tidy")
	// Flags may follow the name: covet new hello --template web.
	var name string
	rest := args
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%w: new: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		if name != "" {
			return fmt.Errorf("%w: new: unexpected argument %q", errUsage, fs.Arg(0))
		}
		name, rest = fs.Arg(0), fs.Args()[1:]
	}
	if name == "" {
		return fmt.Errorf("%w: new: missing NAME", errUsage)
	}
	base := filepath.Base(filepath.Clean(name))
	if !appName.MatchString(base) {
		return fmt.Errorf("new: %q is not a usable app name: use lowercase letters, digits, - and _, starting with a letter", base)
	}
	if *tmplName != "api" && *tmplName != "web" {
		return fmt.Errorf("%w: new: unknown template %q (api or web)", errUsage, *tmplName)
	}
	if *module == "" {
		*module = base
	} else if !modulePath.MatchString(*module) {
		return fmt.Errorf("new: %q is not a usable module path: use letters, digits and - . _ ~ +, in elements separated by /, such as example.com/%s", *module, base)
	}
	dir := name
	if err := checkEmptyDir(dir); err != nil {
		return err
	}
	data := newData{Name: base, Module: *module, GoVersion: newGoVersion, Web: *tmplName == "web", Versions: moduleVersions}
	files, err := renderTemplates(data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("new: %w", err)
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("new: %w", err)
		}
		if err := writeNew(p, f.body); err != nil {
			return fmt.Errorf("new: %w", err)
		}
		fmt.Fprintf(stdout, "created %s\n", filepath.Join(name, filepath.FromSlash(f.name)))
	}
	if !*noTidy {
		fmt.Fprintln(stdout, "running go mod tidy")
		cmd := exec.Command("go", "mod", "tidy")
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("new: go mod tidy in %s failed (%v): fix the network or GOPROXY and run it again there", dir, err)
		}
	}
	fmt.Fprintf(stdout, "\ndone. Now:\n  cd %s\n  go run .        # http://localhost:8080/hello/you\n  go test ./...\n", name)
	return nil
}

// writeNew writes a file that must not exist yet: a file that appeared
// since checkEmptyDir looked (another program, a second covet new) is an
// error, never overwritten.
func writeNew(p string, body []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) // #nosec G302 G304 -- a source file of the app the developer asked for, in the directory they named
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// checkEmptyDir refuses a directory that exists and has anything in it (it
// is left untouched); a missing or empty one is fine.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return fmt.Errorf("new: %s exists and is not a directory; nothing was written", dir)
		}
		return fmt.Errorf("new: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("new: directory %s is not empty (%d entries); nothing was written: choose a new name or empty it", dir, len(entries))
	}
	return nil
}

type newFile struct {
	name string
	body []byte
}

// renderTemplates renders every template for data; web-only files (views/)
// are left out of the api template.
func renderTemplates(data newData) ([]newFile, error) {
	var out []newFile
	err := fs.WalkDir(templateFiles, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".tmpl")
		if strings.HasPrefix(rel, "views/") && !data.Web {
			return nil
		}
		if rel == "gitignore" {
			rel = ".gitignore" // embed skips dot files
		}
		src, err := templateFiles.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(path.Base(p)).Delims("[[", "]]").Option("missingkey=error").Parse(string(src))
		if err != nil {
			return fmt.Errorf("new: template %s: %w", p, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return fmt.Errorf("new: template %s: %w", p, err)
		}
		body := buf.Bytes()
		if strings.HasSuffix(rel, ".go") {
			if body, err = format.Source(body); err != nil {
				return fmt.Errorf("new: template %s: %w", p, err)
			}
		}
		out = append(out, newFile{rel, body})
		return nil
	})
	return out, err
}
