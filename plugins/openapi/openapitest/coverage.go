package openapitest

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Option configures the checks.
type Option func(*config)

type config struct {
	docOpts []openapi.Option
	edit    func(*covet.RouteInfo, *http.Request)
	skip    func(covet.RouteInfo) bool
}

// WithDocument passes options to openapi.Export when the document is
// generated (by default the installed plugin's options are used).
func WithDocument(opts ...openapi.Option) Option {
	return func(c *config) { c.docOpts = append(c.docOpts, opts...) }
}

// WithRequest lets the test change every request the checker sends, for
// example to add an Authorization header for routes behind a guard.
func WithRequest(f func(route *covet.RouteInfo, r *http.Request)) Option {
	return func(c *config) { c.edit = f }
}

// WithSkip leaves out routes for which skip returns true.
func WithSkip(skip func(covet.RouteInfo) bool) Option {
	return func(c *config) { c.skip = skip }
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return c
}

// document exports the app's 3.1 document and decodes it.
func document(app *covet.App, cfg config) (map[string]any, error) {
	var buf bytes.Buffer
	opts := append(append([]openapi.Option(nil), cfg.docOpts...), openapi.WithSpecVersion(openapi.V31), openapi.WithFormat(openapi.JSON))
	if err := openapi.Export(app, &buf, opts...); err != nil {
		return nil, err
	}
	v, err := jsonschema.UnmarshalJSON(&buf)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapitest: the document is not an object")
	}
	return doc, nil
}

// shape blanks the parameter names of a path ("/users/{id:int}" and
// "/users/{id}" are both "/users/{}").
func shape(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// CheckCoverage fails the test for every route of app that is not hidden
// and is not an operation of the app's OpenAPI document, and for every
// operation that is no route. It returns the number of operations.
func CheckCoverage(t testing.TB, app *covet.App, opts ...Option) int {
	t.Helper()
	cfg := newConfig(opts)
	doc, err := document(app, cfg)
	if err != nil {
		t.Fatalf("openapitest: generate the document: %v", err)
	}
	ops := map[string]int{}
	paths, _ := doc["paths"].(map[string]any)
	n := 0
	for p, item := range paths {
		im, _ := item.(map[string]any)
		for _, m := range methods {
			if _, ok := im[m]; ok {
				ops[strings.ToUpper(m)+" "+shape(p)]++
				n++
			}
		}
	}
	routes := map[string]int{}
	var missing []string
	for _, ri := range app.Routes() {
		if ri.Hidden || cfg.skip != nil && cfg.skip(ri) {
			continue
		}
		k := ri.Method + " " + shape(ri.Pattern)
		routes[k]++
		if routes[k] > ops[k] {
			missing = append(missing, ri.String())
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("openapitest: route %s is not in the OpenAPI document", m)
	}
	var extra []string
	for k, c := range ops {
		if c > routes[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, e := range extra {
		t.Errorf("openapitest: operation %s of the document is no route of the app", e)
	}
	return n
}
