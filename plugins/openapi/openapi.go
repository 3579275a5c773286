package openapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	covet "github.com/covetgo/covet/core"
)

// Plugin serves an app's OpenAPI documents and its Swagger UI and ReDoc
// pages. Create it with New and install it with app.Install; the
// document is built once, when the app freezes its route table.
type Plugin struct {
	cfg config
	app *covet.App

	mu      sync.RWMutex
	spec    *spec
	docs    map[docKey]*servedDoc
	skipped []Skipped
	assets  *assetSet

	// builds counts document builds (tests check it stays at one).
	builds atomic.Int64
}

type docKey struct {
	v SpecVersion
	f Format
}

// servedDoc is a rendered document with its validator.
type servedDoc struct {
	body []byte
	etag string
}

var (
	_ covet.Plugin        = (*Plugin)(nil)
	_ covet.RouteObserver = (*Plugin)(nil)
)

// New returns the plugin. By default it serves the OpenAPI 3.1 document at
// /openapi.json and /openapi.yaml, Swagger UI at /docs and ReDoc at /redoc
// (assets under /docs/assets); options change the paths, the version, and
// the document's info, servers and tags.
func New(opts ...Option) *Plugin {
	return &Plugin{cfg: newConfig(opts)}
}

// Name returns "openapi".
func (p *Plugin) Name() string { return "openapi" }

// Install registers the document and docs routes (hidden from the
// document itself). A bad configuration is an error.
func (p *Plugin) Install(app *covet.App) error {
	if err := p.cfg.check(); err != nil {
		return err
	}
	if p.app != nil {
		return fmt.Errorf("openapi: plugin already installed in an app")
	}
	p.app = app
	for _, e := range p.cfg.endpoints() {
		key := docKey{e.version, e.format}
		app.GET(e.path, func(c *covet.Context) error { return p.serveDoc(c, key) }).Hidden()
	}
	if p.cfg.docsPath != "" || p.cfg.redocPath != "" {
		a, err := newAssetSet(&p.cfg)
		if err != nil {
			return err
		}
		p.assets = a
		app.GET(joinPath(p.cfg.assetsPath, "{file:path}"), a.serveAsset).Hidden()
		if p.cfg.docsPath != "" {
			app.GET(p.cfg.docsPath, a.servePage(a.swagger)).Hidden()
		}
		if p.cfg.redocPath != "" {
			app.GET(p.cfg.redocPath, a.servePage(a.redoc)).Hidden()
		}
	}
	return nil
}

// ObserveRoutes builds the document from the final route table, once, and
// renders every served version and format. An error (an operation id used
// twice, a security scheme that is not registered, an example of the wrong
// type) stops the app from serving, naming the route.
func (p *Plugin) ObserveRoutes(routes []covet.RouteInfo) error {
	var schemes map[string]covet.SecurityScheme
	if p.app != nil {
		schemes = p.app.SecuritySchemes()
	}
	s, err := p.build(routes, schemes)
	if err != nil {
		return err
	}
	docs := map[docKey]*servedDoc{}
	trees := map[SpecVersion]*object{}
	for _, e := range p.cfg.endpoints() {
		key := docKey{e.version, e.format}
		if docs[key] != nil {
			continue
		}
		tree := trees[e.version]
		if tree == nil {
			if tree, err = s.render(e.version); err != nil {
				return err
			}
			trees[e.version] = tree
		}
		b, err := encodeTree(tree, e.format, false)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		docs[key] = &servedDoc{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	}
	if p.app != nil {
		for _, sk := range s.skipped {
			p.app.Logger().Warn("openapi: route left out of the document", "route", sk.Route.String(), "reason", sk.Reason)
		}
	}
	if p.assets != nil {
		p.assets.setCSP(contentSecurityPolicy(p.cfg.servers, schemes))
	}
	p.mu.Lock()
	p.spec, p.docs, p.skipped = s, docs, s.skipped
	p.mu.Unlock()
	return nil
}

func (p *Plugin) build(routes []covet.RouteInfo, schemes map[string]covet.SecurityScheme) (*spec, error) {
	p.builds.Add(1)
	return build(p.cfg, routes, schemes)
}

// Document returns a copy of the document in the given version and
// format, as built when the app froze its route table (an error before
// that). JSON is compact, as served.
func (p *Plugin) Document(v SpecVersion, f Format) ([]byte, error) {
	p.mu.RLock()
	s, d := p.spec, p.docs[docKey{v, f}]
	p.mu.RUnlock()
	if s == nil {
		return nil, fmt.Errorf("openapi: the document is built when the app starts serving")
	}
	if d != nil {
		return bytes.Clone(d.body), nil
	}
	return s.encode(v, f, false)
}

// Skipped lists the routes the document leaves out, with the reason: a
// method OpenAPI cannot express, or a route OpenAPI cannot tell from
// another (GET /users/{id:int} beside GET /users/{name}). Hidden routes are
// not listed. Each is also logged as a warning when the document is built.
func (p *Plugin) Skipped() []Skipped {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return append([]Skipped(nil), p.skipped...)
}

func (p *Plugin) serveDoc(c *covet.Context, key docKey) error {
	p.mu.RLock()
	d := p.docs[key]
	p.mu.RUnlock()
	if d == nil {
		return covet.NewError(http.StatusServiceUnavailable, "the OpenAPI document is not built yet")
	}
	ct := "application/json"
	if key.f == YAML {
		ct = "application/yaml"
	}
	h := c.Response().Header()
	h.Set("Content-Type", ct)
	h.Set("ETag", d.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), "", zeroTime, bytes.NewReader(d.body))
	return nil
}

// encode renders and encodes the spec; indent makes JSON readable (YAML
// always is).
func (s *spec) encode(v SpecVersion, f Format, indent bool) ([]byte, error) {
	tree, err := s.render(v)
	if err != nil {
		return nil, err
	}
	return encodeTree(tree, f, indent)
}

// encodeTree encodes a rendered document.
func encodeTree(tree *object, f Format, indent bool) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(64 << 10)
	switch f {
	case YAML:
		if err := encodeYAML(&b, tree); err != nil {
			return nil, fmt.Errorf("openapi: encode YAML: %w", err)
		}
	default:
		if indent {
			if err := encodeJSONIndent(&b, tree, 0); err != nil {
				return nil, err
			}
			b.WriteByte('\n')
			return b.Bytes(), nil
		}
		if err := encodeJSON(&b, tree); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

// Export writes the document of app to w without serving it: for CI
// diffs and client generation. It uses the options of the app's installed
// openapi plugin, if any, with opts on top (WithSpecVersion, WithFormat,
// info...). JSON is indented. The app is not frozen.
func Export(app *covet.App, w io.Writer, opts ...Option) error {
	cfg := defaultConfig()
	if p, ok := app.Plugin("openapi").(*Plugin); ok {
		cfg = p.cfg
	}
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		return err
	}
	s, err := build(cfg, app.Routes(), app.SecuritySchemes())
	if err != nil {
		return err
	}
	b, err := s.encode(cfg.spec, cfg.format, true)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
