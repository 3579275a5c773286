package openapi

import (
	"fmt"
	"sort"
	"strconv"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/schema"
)

// render turns a built spec into the document tree of one OpenAPI version.
// Schemas come from core as JSON Schema 2020-12 (OpenAPI 3.1's dialect);
// for 3.0.3 they go through schema30.
func (s *spec) render(v SpecVersion) (*object, error) {
	r := &renderer{v: v, cache: map[*schema.Schema]any{}}
	doc := newObject().set("openapi", string(v))
	doc.set("info", s.info(v))
	if len(s.cfg.servers) > 0 {
		var servers []any
		for _, sv := range s.cfg.servers {
			o := newObject().set("url", sv.URL)
			if sv.Description != "" {
				o.set("description", sv.Description)
			}
			servers = append(servers, o)
		}
		doc.set("servers", servers)
	}
	if len(s.tags) > 0 {
		var tags []any
		for _, t := range s.tags {
			o := newObject().set("name", t.Name)
			if t.Description != "" {
				o.set("description", t.Description)
			}
			tags = append(tags, o)
		}
		doc.set("tags", tags)
	}

	paths := newObject()
	items := map[string]*object{}
	for _, op := range s.ops {
		item := items[op.path]
		if item == nil {
			item = newObject()
			items[op.path] = item
			paths.set(op.path, item)
		}
		o, err := r.operation(s, op)
		if err != nil {
			return nil, fmt.Errorf("openapi: route %s: %w", op.ri.String(), err)
		}
		item.set(op.method, o)
	}
	doc.set("paths", paths)

	comps := newObject()
	schemas := newObject()
	all := s.reg.Components()
	for _, name := range s.reg.Names() {
		sc, err := r.schema(all[name])
		if err != nil {
			return nil, fmt.Errorf("openapi: component %s: %w", name, err)
		}
		schemas.set(name, sc)
	}
	vp, err := r.validationProblem(s)
	if err != nil {
		return nil, err
	}
	schemas.set(s.validationName, vp)
	sortObject(schemas)
	comps.set("schemas", schemas)
	if sec := s.securitySchemes(); sec.len() > 0 {
		comps.set("securitySchemes", sec)
	}
	doc.set("components", comps)
	return doc, nil
}

// sortObject sorts an object's members by key.
func sortObject(o *object) {
	idx := make([]int, len(o.keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return o.keys[idx[a]] < o.keys[idx[b]] })
	keys, vals := make([]string, len(idx)), make([]any, len(idx))
	for i, j := range idx {
		keys[i], vals[i] = o.keys[j], o.vals[j]
	}
	o.keys, o.vals = keys, vals
}

func (s *spec) info(v SpecVersion) *object {
	c := s.cfg
	o := newObject().set("title", c.title)
	if c.description != "" {
		o.set("description", c.description)
	}
	if c.terms != "" {
		o.set("termsOfService", c.terms)
	}
	if c.contactName != "" || c.contactURL != "" || c.contactEmail != "" {
		ct := newObject()
		if c.contactName != "" {
			ct.set("name", c.contactName)
		}
		if c.contactURL != "" {
			ct.set("url", c.contactURL)
		}
		if c.contactEmail != "" {
			ct.set("email", c.contactEmail)
		}
		o.set("contact", ct)
	}
	if c.licenseName != "" {
		l := newObject().set("name", c.licenseName)
		if c.licenseURL != "" {
			l.set("url", c.licenseURL)
		}
		o.set("license", l)
	}
	return o.set("version", c.version)
}

// renderer renders one version. Rendered schemas are cached by pointer:
// routes that share types share core's schema values, and the trees are
// never changed once built, so they are shared too.
type renderer struct {
	v     SpecVersion
	cache map[*schema.Schema]any
}

// schema renders a core schema: its own 2020-12 form, converted for 3.0.
func (r *renderer) schema(sc *schema.Schema) (any, error) {
	if sc == nil {
		return newObject(), nil
	}
	if t, ok := r.cache[sc]; ok {
		return t, nil
	}
	var t any = schema31(sc)
	if r.v == V30 {
		t = schema30(t)
	}
	r.cache[sc] = t
	return t, nil
}

// value renders an example or default value.
func (r *renderer) value(v any) (any, error) { return toTree(v) }

func (r *renderer) operation(s *spec, op *operation) (*object, error) {
	ri := &op.ri
	o := newObject()
	if len(ri.Tags) > 0 {
		tags := make([]any, len(ri.Tags))
		for i, t := range ri.Tags {
			tags[i] = t
		}
		o.set("tags", tags)
	}
	if ri.Summary != "" {
		o.set("summary", ri.Summary)
	}
	if ri.Description != "" {
		o.set("description", ri.Description)
	}
	o.set("operationId", op.id)
	if len(op.params) > 0 {
		var ps []any
		for _, p := range op.params {
			po, err := r.param(p, true)
			if err != nil {
				return nil, fmt.Errorf("parameter %s: %w", p.Name, err)
			}
			ps = append(ps, po)
		}
		o.set("parameters", ps)
	}
	if op.body != nil {
		b := newObject()
		if op.body.Description != "" {
			b.set("description", op.body.Description)
		}
		content := newObject()
		for _, m := range op.body.Content {
			mo := newObject()
			sc, err := r.schema(m.Schema)
			if err != nil {
				return nil, err
			}
			mo.set("schema", sc)
			if op.bodyExample != nil && m.ContentType == "application/json" {
				ex, err := r.value(op.bodyExample.value)
				if err != nil {
					return nil, fmt.Errorf("request example: %w", err)
				}
				mo.set("example", ex)
			}
			content.set(m.ContentType, mo)
		}
		b.set("content", content)
		if op.body.Required {
			b.set("required", true)
		}
		o.set("requestBody", b)
	}
	resps := newObject()
	for _, rs := range op.responses {
		ro := newObject().set("description", rs.description)
		if len(rs.headers) > 0 {
			hs := newObject()
			for _, h := range rs.headers {
				ho, err := r.param(h, false)
				if err != nil {
					return nil, fmt.Errorf("response header %s: %w", h.Name, err)
				}
				hs.set(h.Name, ho)
			}
			ro.set("headers", hs)
		}
		if len(rs.media) > 0 {
			content := newObject()
			for _, m := range rs.media {
				mo := newObject()
				sc, err := r.schema(m.schema)
				if err != nil {
					return nil, err
				}
				mo.set("schema", sc)
				if m.example != nil {
					ex, err := r.value(m.example.value)
					if err != nil {
						return nil, fmt.Errorf("response %d example: %w", rs.status, err)
					}
					mo.set("example", ex)
				}
				content.set(m.contentType, mo)
			}
			ro.set("content", content)
		}
		resps.set(strconv.Itoa(rs.status), ro)
	}
	o.set("responses", resps)
	if ri.Deprecated {
		o.set("deprecated", true)
	}
	if len(ri.Security) > 0 {
		var reqs []any
		var dropped *object
		for _, req := range ri.Security {
			ro := newObject()
			if req.Scheme != "" {
				scopes := []any{}
				for _, sc := range req.Scopes {
					scopes = append(scopes, sc)
				}
				// OpenAPI 3.0 allows scopes only for OAuth2 and OpenID
				// Connect schemes; 3.1 also for others (roles). For 3.0
				// the others' scopes move to an extension.
				if t := s.schemes[req.Scheme].Type; r.v == V30 && t != "oauth2" && t != "openIdConnect" && len(scopes) > 0 {
					if dropped == nil {
						dropped = newObject()
					}
					dropped.set(req.Scheme, scopes)
					scopes = []any{}
				}
				ro.set(req.Scheme, scopes)
			}
			reqs = append(reqs, ro)
		}
		o.set("security", reqs)
		if dropped != nil {
			o.set("x-required-scopes", dropped)
		}
	}
	return o, nil
}

// param renders a parameter (withLocation) or a response header.
func (r *renderer) param(p schema.ParamDoc, withLocation bool) (*object, error) {
	o := newObject()
	if withLocation {
		o.set("name", p.Name).set("in", p.In)
	}
	if p.Description != "" {
		o.set("description", p.Description)
	}
	if p.Required {
		o.set("required", true)
	}
	if p.Deprecated {
		o.set("deprecated", true)
	}
	sc, err := r.schema(p.Schema)
	if err != nil {
		return nil, err
	}
	// The description and example belong to the parameter; the schema
	// does not repeat them (a copy: the cached tree is shared).
	if so, ok := sc.(*object); ok && p.Schema != nil {
		dropDesc := p.Schema.Description != "" && p.Schema.Description == p.Description
		dropEx := p.Example != nil && len(p.Schema.Examples) == 1
		if dropDesc || dropEx {
			cp := &object{keys: append([]string(nil), so.keys...), vals: append([]any(nil), so.vals...)}
			if dropDesc {
				cp.del("description")
			}
			if dropEx {
				cp.del("examples")
				cp.del("example")
			}
			sc = cp
		}
	}
	o.set("schema", sc)
	if p.Example != nil {
		ex, err := r.value(p.Example)
		if err != nil {
			return nil, err
		}
		o.set("example", ex)
	}
	return o, nil
}

// validationProblem is the 422 body: core's Problem with at least one
// field error.
func (r *renderer) validationProblem(s *spec) (any, error) {
	problem, err := r.schema(s.problem)
	if err != nil {
		return nil, err
	}
	fe, err := r.schema(s.fieldError)
	if err != nil {
		return nil, err
	}
	errs := newObject().set("type", "array").set("items", fe).set("minItems", 1)
	return newObject().
		set("description", "A validation problem (RFC 9457): every field that failed binding or validation, with its location and JSON pointer.").
		set("allOf", []any{problem, newObject().
			set("type", "object").
			set("properties", newObject().set("errors", errs)).
			set("required", []any{"errors"})}), nil
}

// securitySchemes renders the app's security schemes, sorted by name.
func (s *spec) securitySchemes() *object {
	out := newObject()
	names := make([]string, 0, len(s.schemes))
	for n := range s.schemes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sc := s.schemes[n]
		o := newObject().set("type", sc.Type)
		if sc.Description != "" {
			o.set("description", sc.Description)
		}
		switch sc.Type {
		case "http":
			o.set("scheme", sc.Scheme)
			if sc.BearerFormat != "" {
				o.set("bearerFormat", sc.BearerFormat)
			}
		case "apiKey":
			o.set("name", sc.Name).set("in", sc.In)
		case "openIdConnect":
			o.set("openIdConnectUrl", sc.OpenIDConnectURL)
		case "oauth2":
			flows := newObject()
			if f := sc.Flows; f != nil {
				add := func(name string, fl *covet.OAuthFlow, auth, token bool) {
					if fl == nil {
						return
					}
					fo := newObject()
					if auth {
						fo.set("authorizationUrl", fl.AuthorizationURL)
					}
					if token {
						fo.set("tokenUrl", fl.TokenURL)
					}
					if fl.RefreshURL != "" {
						fo.set("refreshUrl", fl.RefreshURL)
					}
					scopes := newObject()
					keys := make([]string, 0, len(fl.Scopes))
					for k := range fl.Scopes {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					for _, k := range keys {
						scopes.set(k, fl.Scopes[k])
					}
					fo.set("scopes", scopes)
					flows.set(name, fo)
				}
				add("implicit", f.Implicit, true, false)
				add("password", f.Password, false, true)
				add("clientCredentials", f.ClientCredentials, false, true)
				add("authorizationCode", f.AuthorizationCode, true, true)
			}
			o.set("flows", flows)
		}
		out.set(n, o)
	}
	return out
}
