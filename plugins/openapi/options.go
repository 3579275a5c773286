package openapi

import (
	"fmt"
	"strings"
)

// SpecVersion is the OpenAPI version of a document.
type SpecVersion string

const (
	// V31 is OpenAPI 3.1 (JSON Schema 2020-12 schemas), the default.
	V31 SpecVersion = "3.1.0"
	// V30 is OpenAPI 3.0.3, for tools that do not read 3.1 yet.
	V30 SpecVersion = "3.0.3"
)

// ParseSpecVersion reads "3.1", "3.1.0", "3.0" or "3.0.3".
func ParseSpecVersion(s string) (SpecVersion, error) {
	switch s {
	case "3.1", "3.1.0":
		return V31, nil
	case "3.0", "3.0.3":
		return V30, nil
	}
	return "", fmt.Errorf("openapi: unknown OpenAPI version %q (want 3.1 or 3.0)", s)
}

// Format is the encoding of a document.
type Format string

const (
	// JSON is application/json.
	JSON Format = "json"
	// YAML is application/yaml.
	YAML Format = "yaml"
)

// ParseFormat reads "json" or "yaml".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "json":
		return JSON, nil
	case "yaml", "yml":
		return YAML, nil
	}
	return "", fmt.Errorf("openapi: unknown format %q (want json or yaml)", s)
}

// Server is an entry of the document's servers list.
type Server struct {
	URL         string
	Description string
}

// Tag describes a tag used by operations.
type Tag struct {
	Name        string
	Description string
}

// Option configures the plugin, Export and Command.
type Option func(*config)

// endpoint is one served document.
type endpoint struct {
	path    string
	version SpecVersion
	format  Format
}

type config struct {
	title, version, description, terms    string
	contactName, contactURL, contactEmail string
	licenseName, licenseURL               string
	servers                               []Server
	tags                                  []Tag

	spec               SpecVersion
	format             Format // for Export
	jsonPath, yamlPath string
	extra              []endpoint
	docsPath           string
	redocPath          string
	assetsPath         string
}

func defaultConfig() config {
	return config{
		title:      "API",
		version:    "0.0.0",
		spec:       V31,
		format:     JSON,
		jsonPath:   "/openapi.json",
		yamlPath:   "/openapi.yaml",
		docsPath:   "/docs",
		redocPath:  "/redoc",
		assetsPath: "/docs/assets",
	}
}

func newConfig(opts []Option) config {
	c := defaultConfig()
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithInfo sets the document's title and the API's version (info.title and
// info.version; defaults "API" and "0.0.0").
func WithInfo(title, version string) Option {
	return func(c *config) { c.title, c.version = title, version }
}

// WithDescription sets info.description (CommonMark).
func WithDescription(s string) Option { return func(c *config) { c.description = s } }

// WithTermsOfService sets info.termsOfService (a URL).
func WithTermsOfService(url string) Option { return func(c *config) { c.terms = url } }

// WithContact sets info.contact; empty values are left out.
func WithContact(name, url, email string) Option {
	return func(c *config) { c.contactName, c.contactURL, c.contactEmail = name, url, email }
}

// WithLicense sets info.license.
func WithLicense(name, url string) Option {
	return func(c *config) { c.licenseName, c.licenseURL = name, url }
}

// WithServer adds an entry to the servers list (in the order added). The
// docs pages' Content-Security-Policy allows their origins for "Try it out".
func WithServer(url, description string) Option {
	return func(c *config) { c.servers = append(c.servers, Server{URL: url, Description: description}) }
}

// WithTag describes a tag. Described tags come first in the document's tag
// list, in the order added; tags routes use without a description follow in
// the order they are first used. Describing a tag again replaces its
// description in place: a tag is listed once.
func WithTag(name, description string) Option {
	return func(c *config) {
		for i := range c.tags {
			if c.tags[i].Name == name {
				c.tags[i].Description = description
				return
			}
		}
		c.tags = append(c.tags, Tag{Name: name, Description: description})
	}
}

// WithSpecVersion chooses the OpenAPI version served at the JSON and YAML
// paths and written by Export (default V31).
func WithSpecVersion(v SpecVersion) Option { return func(c *config) { c.spec = v } }

// WithFormat chooses the encoding Export writes (default JSON).
func WithFormat(f Format) Option { return func(c *config) { c.format = f } }

// WithJSONPath sets the path of the JSON document (default "/openapi.json";
// "" serves none).
func WithJSONPath(p string) Option { return func(c *config) { c.jsonPath = p } }

// WithYAMLPath sets the path of the YAML document (default "/openapi.yaml";
// "" serves none).
func WithYAMLPath(p string) Option { return func(c *config) { c.yamlPath = p } }

// WithDocument serves one more document at path, in another version or
// format, for example the 3.0.3 form for older tools:
//
//	openapi.WithDocument("/openapi-3.0.json", openapi.V30, openapi.JSON)
func WithDocument(path string, v SpecVersion, f Format) Option {
	return func(c *config) { c.extra = append(c.extra, endpoint{path: path, version: v, format: f}) }
}

// WithSwaggerUI sets the path of the Swagger UI page (default "/docs";
// "" serves none).
func WithSwaggerUI(path string) Option { return func(c *config) { c.docsPath = path } }

// WithRedoc sets the path of the ReDoc page (default "/redoc"; "" serves none).
func WithRedoc(path string) Option { return func(c *config) { c.redocPath = path } }

// WithAssetsPath sets the path under which the pages' scripts and styles
// are served (default "/docs/assets").
func WithAssetsPath(path string) Option { return func(c *config) { c.assetsPath = path } }

// endpoints lists the served documents.
func (c *config) endpoints() []endpoint {
	var out []endpoint
	if c.jsonPath != "" {
		out = append(out, endpoint{c.jsonPath, c.spec, JSON})
	}
	if c.yamlPath != "" {
		out = append(out, endpoint{c.yamlPath, c.spec, YAML})
	}
	return append(out, c.extra...)
}

// check validates the configuration.
func (c *config) check() error {
	if c.spec != V30 && c.spec != V31 {
		return fmt.Errorf("openapi: unknown OpenAPI version %q", c.spec)
	}
	if c.format != JSON && c.format != YAML {
		return fmt.Errorf("openapi: unknown format %q", c.format)
	}
	seen := map[string]bool{}
	paths := []string{c.docsPath, c.redocPath}
	for _, e := range c.endpoints() {
		if e.version != V30 && e.version != V31 {
			return fmt.Errorf("openapi: document %s: unknown OpenAPI version %q", e.path, e.version)
		}
		if e.format != JSON && e.format != YAML {
			return fmt.Errorf("openapi: document %s: unknown format %q", e.path, e.format)
		}
		paths = append(paths, e.path)
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("openapi: path %q must start with /", p)
		}
		if seen[p] {
			return fmt.Errorf("openapi: path %q is configured twice", p)
		}
		seen[p] = true
	}
	if (c.docsPath != "" || c.redocPath != "") && !strings.HasPrefix(c.assetsPath, "/") {
		return fmt.Errorf("openapi: assets path %q must start with /", c.assetsPath)
	}
	if (c.docsPath != "" || c.redocPath != "") && c.jsonPath == "" {
		return fmt.Errorf("openapi: the docs pages need the JSON document (WithJSONPath)")
	}
	return nil
}
