// Package urlx reverses covet's route patterns into paths (covet.App.URL):
// the parameters' values checked against their converters and escaped, and
// absolute URLs on the public base URL (WithPublicURL, checked by
// ParseBase). It does not import covet.
package urlx

import (
	"fmt"
	"net/url"
	"strings"

	irouter "github.com/covetgo/covet/core/internal/router"
)

// Build returns the path of the pattern of the route called name from
// alternating parameter names and values (formatted with fmt). A value that
// would make the path unclean (a "." or ".." segment, an empty segment in a
// {p:path} value) is refused unless dotSegments (AllowDotSegments).
func Build(pat *irouter.Pattern, name string, pairs []any, dotSegments bool) (string, error) {
	if len(pairs)%2 != 0 {
		return "", fmt.Errorf("covet: URL %q: odd number of name/value arguments", name)
	}
	vals := map[string]string{}
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return "", fmt.Errorf("covet: URL %q: parameter name %v is not a string", name, pairs[i])
		}
		vals[k] = fmt.Sprint(pairs[i+1])
	}
	var b strings.Builder
	for _, s := range pat.Segments {
		b.WriteByte('/')
		if !s.Param {
			b.WriteString(url.PathEscape(s.Static))
			continue
		}
		v, ok := vals[s.Name]
		if !ok {
			return "", fmt.Errorf("covet: URL %q: missing parameter %q", name, s.Name)
		}
		delete(vals, s.Name)
		if !irouter.CleanValue(s.Kind, v, dotSegments) {
			return "", fmt.Errorf("covet: URL %q: value %q of parameter {%s:%s} has an empty, \".\" or \"..\" segment: the path would not reach the route", name, v, s.Name, s.Kind.Name())
		}
		if s.Kind == irouter.Path {
			parts := strings.Split(v, "/")
			for i, part := range parts {
				parts[i] = url.PathEscape(part)
			}
			b.WriteString(strings.Join(parts, "/"))
			continue
		}
		if !s.Kind.Accepts(v) {
			return "", fmt.Errorf("covet: URL %q: value %q does not fit parameter {%s:%s}", name, v, s.Name, s.Kind.Name())
		}
		b.WriteString(url.PathEscape(v))
	}
	if pat.Trailing || len(pat.Segments) == 0 {
		b.WriteByte('/')
	}
	for k := range vals {
		return "", fmt.Errorf("covet: URL %q: unknown parameter %q", name, k)
	}
	return b.String(), nil
}

// Absolute joins scheme, host, a path prefix, the path and the query.
func Absolute(scheme, host, prefix, path string, query url.Values) string {
	s := scheme + "://" + host + prefix + path
	if len(query) > 0 {
		s += "?" + query.Encode()
	}
	return s
}

// ParseBase parses WithPublicURL's base: an absolute http or https URL
// without query or fragment; its path loses a trailing slash.
func ParseBase(base string) (*url.URL, bool) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, false
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, true
}
