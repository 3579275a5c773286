package tmpl

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	covet "github.com/covetgo/covet/core"
	"github.com/evanw/esbuild/pkg/api"
)

// Assets is the asset pipeline: CSS and JavaScript entry points bundled
// and minified by esbuild into files whose names carry a content hash, a
// manifest from logical names ("app.js") to URLs ("/assets/app-3F2A1B7C.js"),
// and a route that serves them with a year's immutable caching.
//
// In development (NewAssets with a source directory) it builds in memory
// at Install and rebuilds on the next request after a source file changes,
// with inline source maps. For production, build once to a directory
// (Assets.WriteTo, from a go generate step or the covet-assets command of
// the README), embed that directory, and load it with LoadAssets: the
// manifest is then read, not built, and esbuild is not run.
//
// Install it on the app (it is a plugin named "assets") and give it to the
// engine with WithAssets; templates call {{asset "app.js"}}.
type Assets struct {
	prefix  string
	srcDir  string
	entries []string
	minify  bool
	dev     bool

	mu       sync.RWMutex
	manifest map[string]string // logical name -> URL
	files    map[string]*assetFile
	sig      string
	buildErr error
}

type assetFile struct {
	body        []byte
	contentType string
	etag        string
}

// AssetOption configures NewAssets.
type AssetOption func(*Assets)

// WithAssetPrefix sets the URL prefix the files are served under (default
// "/assets").
func WithAssetPrefix(p string) AssetOption {
	return func(a *Assets) { a.prefix = "/" + strings.Trim(p, "/") }
}

// WithAssetDevelopment turns development builds on or off: rebuilt on
// change, not minified, inline source maps. By default NewAssets builds
// for production.
func WithAssetDevelopment(on bool) AssetOption { return func(a *Assets) { a.dev = on } }

// NewAssets returns a pipeline that bundles entries (paths relative to
// srcDir: "app.js", "app.css") with esbuild. The first build runs at
// Install (or Build); a failing build is an error with esbuild's messages
// (file:line:column).
func NewAssets(srcDir string, entries []string, opts ...AssetOption) *Assets {
	a := &Assets{prefix: "/assets", srcDir: srcDir, entries: entries, minify: true}
	for _, o := range opts {
		o(a)
	}
	if a.dev {
		a.minify = false
	}
	return a
}

// manifestFile is the name of the manifest a production build writes.
const manifestFile = "manifest.json"

// LoadAssets returns a pipeline of files built before (WriteTo): fsys holds
// manifest.json and the files it names. Nothing is built.
func LoadAssets(fsys fs.FS, opts ...AssetOption) (*Assets, error) {
	a := &Assets{prefix: "/assets"}
	for _, o := range opts {
		o(a)
	}
	b, err := fs.ReadFile(fsys, manifestFile)
	if err != nil {
		return nil, fmt.Errorf("tmpl: assets: %w", err)
	}
	var m map[string]string // logical name -> file name
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("tmpl: assets: %s: %w", manifestFile, err)
	}
	a.manifest = map[string]string{}
	a.files = map[string]*assetFile{}
	for logical, file := range m {
		body, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("tmpl: assets: manifest names %s: %w", file, err)
		}
		a.addFile(logical, file, body)
	}
	return a, nil
}

func (a *Assets) addFile(logical, file string, body []byte) {
	sum := sha256.Sum256(body)
	ct := mime.TypeByExtension(path.Ext(file))
	if ct == "" {
		ct = "application/octet-stream"
	}
	a.files[file] = &assetFile{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if logical != "" {
		a.manifest[logical] = a.prefix + "/" + file
	}
}

// Name returns "assets".
func (a *Assets) Name() string { return "assets" }

// Install builds the assets (unless loaded) and registers the route that
// serves them.
func (a *Assets) Install(app *covet.App) error {
	if a.manifest == nil {
		if err := a.Build(); err != nil {
			return err
		}
	}
	app.GET(a.prefix+"/{file:path}", a.serve).Name("tmpl.assets").Hidden()
	return nil
}

var _ covet.Plugin = (*Assets)(nil)

// URL returns the hashed URL of the asset name ("app.js"), rebuilding
// first in development when a source changed.
func (a *Assets) URL(name string) (string, error) {
	if err := a.fresh(); err != nil {
		return "", err
	}
	a.mu.RLock()
	u, ok := a.manifest[name]
	a.mu.RUnlock()
	if !ok {
		return "", fmt.Errorf("tmpl: no asset %q in the manifest", name)
	}
	return u, nil
}

// Manifest returns a copy of the manifest: logical name to URL.
func (a *Assets) Manifest() map[string]string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	m := make(map[string]string, len(a.manifest))
	for k, v := range a.manifest {
		m[k] = v
	}
	return m
}

func (a *Assets) fresh() error {
	if !a.dev || a.srcDir == "" {
		return nil
	}
	sig, err := dirSignature(a.srcDir)
	if err != nil {
		return err
	}
	a.mu.RLock()
	same, berr := sig == a.sig, a.buildErr
	a.mu.RUnlock()
	if same {
		return berr
	}
	return a.Build()
}

func dirSignature(dir string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b.WriteString(p + "\x00" + strconv.FormatInt(info.Size(), 10) + "\x00" + strconv.FormatInt(info.ModTime().UnixNano(), 10) + "\n")
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("tmpl: assets: %w", err)
	}
	return b.String(), nil
}

// Build runs esbuild over the entry points now.
func (a *Assets) Build() error {
	if a.srcDir == "" {
		return errors.New("tmpl: assets: loaded from a manifest; nothing to build")
	}
	sig, err := dirSignature(a.srcDir)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(a.srcDir)
	if err != nil {
		return fmt.Errorf("tmpl: assets: %w", err)
	}
	sm := api.SourceMapNone
	if a.dev {
		sm = api.SourceMapInline
	}
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     abs,
		EntryPoints:       a.entries,
		Bundle:            true,
		Write:             false,
		Metafile:          true,
		Outdir:            filepath.Join(abs, ".out"),
		Outbase:           abs,
		EntryNames:        "[dir]/[name]-[hash]",
		AssetNames:        "[dir]/[name]-[hash]",
		MinifyWhitespace:  a.minify,
		MinifyIdentifiers: a.minify,
		MinifySyntax:      a.minify,
		Sourcemap:         sm,
		Target:            api.ES2020,
		LogLevel:          api.LogLevelSilent,
		Loader: map[string]api.Loader{
			".png": api.LoaderFile, ".svg": api.LoaderFile, ".woff2": api.LoaderFile, ".jpg": api.LoaderFile,
		},
	})
	if len(res.Errors) > 0 {
		err := buildError(res.Errors)
		a.mu.Lock()
		a.sig, a.buildErr = sig, err
		a.mu.Unlock()
		return err
	}
	var meta struct {
		Outputs map[string]struct {
			EntryPoint string `json:"entryPoint"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(res.Metafile), &meta); err != nil {
		return fmt.Errorf("tmpl: assets: esbuild metafile: %w", err)
	}
	outDir := filepath.Join(abs, ".out")
	manifest := map[string]string{}
	files := map[string]*assetFile{}
	na := &Assets{prefix: a.prefix, manifest: manifest, files: files}
	for _, of := range res.OutputFiles {
		rel, err := filepath.Rel(outDir, of.Path)
		if err != nil {
			return fmt.Errorf("tmpl: assets: %w", err)
		}
		rel = filepath.ToSlash(rel)
		logical := ""
		// The metafile's keys are relative to the working directory.
		if o, ok := meta.Outputs[".out/"+rel]; ok && o.EntryPoint != "" {
			logical = filepath.ToSlash(o.EntryPoint)
		}
		na.addFile(logical, rel, of.Contents)
	}
	// A CSS file imported by a JavaScript entry is emitted beside it.
	for logical, u := range manifest {
		if strings.HasSuffix(logical, ".js") {
			css := strings.TrimSuffix(u, ".js") + ".css"
			if _, ok := files[strings.TrimPrefix(css, a.prefix+"/")]; ok {
				manifest[strings.TrimSuffix(logical, ".js")+".css"] = css
			}
		}
	}
	a.mu.Lock()
	a.manifest, a.files, a.sig, a.buildErr = manifest, files, sig, nil
	a.mu.Unlock()
	return nil
}

func buildError(msgs []api.Message) error {
	var b strings.Builder
	b.WriteString("tmpl: assets: esbuild failed:")
	for _, m := range msgs {
		b.WriteString("\n  ")
		if m.Location != nil {
			fmt.Fprintf(&b, "%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
		}
		b.WriteString(m.Text)
	}
	return errors.New(b.String())
}

// WriteTo writes the built files and manifest.json into dir, for a
// production build to embed and load with LoadAssets.
func (a *Assets) WriteTo(dir string) error {
	if a.manifest == nil {
		if err := a.Build(); err != nil {
			return err
		}
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	m := map[string]string{}
	for logical, u := range a.manifest {
		m[logical] = strings.TrimPrefix(u, a.prefix+"/")
	}
	names := make([]string, 0, len(a.files))
	for f := range a.files {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil { // #nosec G301 -- the built assets directory (WriteTo): static files a web server or CDN reads
			return err
		}
		if err := os.WriteFile(p, a.files[f].body, 0o644); err != nil { // #nosec G306 -- a built asset (WriteTo): a static file a web server or CDN reads
			return err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, manifestFile), append(b, '\n'), 0o644) // #nosec G306 -- the built assets' manifest (WriteTo), read by the app and the web server
}

var immutable = []string{"public, max-age=31536000, immutable"}

func (a *Assets) serve(c *covet.Context) error {
	if err := a.fresh(); err != nil {
		return err
	}
	a.mu.RLock()
	f := a.files[c.Param("file")]
	a.mu.RUnlock()
	if f == nil {
		return covet.NewError(http.StatusNotFound, "no such asset")
	}
	return serveAsset(c, f)
}

func serveAsset(c *covet.Context, f *assetFile) error {
	h := c.Response().Header()
	h["Cache-Control"] = immutable
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if inm := c.Header("If-None-Match"); inm != "" && strings.Contains(inm, f.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, f.contentType, f.body)
}
