package covet

import (
	"errors"
	"strings"
)

// ParamKind is the converter of a path parameter: it decides which path
// segments the parameter accepts. A path whose segment fails the converter
// does not match the route (another route may), as in Starlette.
type ParamKind uint8

// The path converters, from the most specific to the least. Among routes that
// differ only in the converter at one position, the more specific one is tried
// first.
const (
	// ParamInt accepts one or more ASCII digits ({id:int}).
	ParamInt ParamKind = iota
	// ParamFloat accepts digits with an optional fraction ({x:float}).
	ParamFloat
	// ParamUUID accepts a canonical 8-4-4-4-12 hexadecimal UUID ({id:uuid}).
	ParamUUID
	// ParamString accepts any non-empty segment without '/' ({name} or {name:str}).
	ParamString
	// ParamPath accepts the rest of the path, slashes included, possibly empty
	// ({p:path}); it may only be the last segment.
	ParamPath
)

// String returns the converter's name as written in patterns.
func (k ParamKind) String() string {
	switch k {
	case ParamInt:
		return "int"
	case ParamFloat:
		return "float"
	case ParamUUID:
		return "uuid"
	case ParamString:
		return "str"
	case ParamPath:
		return "path"
	}
	return "unknown"
}

// accepts reports whether s is a value the converter accepts.
func (k ParamKind) accepts(s string) bool {
	switch k {
	case ParamInt:
		if s == "" {
			return false
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	case ParamFloat:
		return isFloatSegment(s)
	case ParamUUID:
		return isUUID(s)
	case ParamString:
		return s != "" && !strings.Contains(s, "/")
	}
	return true
}

// isFloatSegment matches Starlette's float convertor: [0-9]+(\.[0-9]+)?
func isFloatSegment(s string) bool {
	i, n := 0, len(s)
	for i < n && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return false
	}
	if i == n {
		return true
	}
	if s[i] != '.' {
		return false
	}
	i++
	j := i
	for i < n && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i == n && i > j
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// PathParam describes one parameter of a route pattern.
type PathParam struct {
	// Name is the parameter's name in the pattern.
	Name string
	// Kind is its converter.
	Kind ParamKind
}

// segment is one '/'-separated part of a parsed pattern.
type segment struct {
	static string // literal text when param is false
	param  bool
	name   string
	kind   ParamKind
}

// pattern is a parsed route pattern.
type pattern struct {
	raw      string
	segments []segment
	params   []PathParam
	trailing bool // ends with '/'
	// shape is the pattern in httprouter syntax with positional parameter
	// names, so that routes differing only in parameter names share a node.
	shape string
	// static is true when the pattern has no parameter.
	static bool
	// plain is true when every parameter is a {name} string parameter.
	plain bool
	// rank orders matches: one entry per segment, lower is more specific.
	rank []uint8
}

var errEmptyPattern = errors.New("pattern must start with '/'")

// parsePattern parses a FastAPI-style pattern such as /users/{id:int}/files/{p:path}.
func parsePattern(raw string) (*pattern, error) {
	if raw == "" || raw[0] != '/' {
		return nil, errEmptyPattern
	}
	if strings.Contains(raw, "//") {
		return nil, errors.New("empty segment (\"//\")")
	}
	p := &pattern{raw: raw, static: true}
	body := raw[1:]
	if strings.HasSuffix(body, "/") {
		p.trailing = true
		body = body[:len(body)-1]
	}
	var shape strings.Builder
	shape.WriteByte('/')
	names := map[string]bool{}
	if body != "" || p.trailing {
		parts := strings.Split(body, "/")
		if body == "" {
			parts = nil
		}
		for i, part := range parts {
			if part == "" {
				return nil, errors.New("empty segment (\"//\")")
			}
			if part == "." || part == ".." {
				return nil, errors.New("dot segment \"" + part + "\"")
			}
			if i > 0 {
				shape.WriteByte('/')
			}
			if strings.ContainsAny(part, "{}") {
				if part[0] != '{' || part[len(part)-1] != '}' || strings.Count(part, "{") != 1 || strings.Count(part, "}") != 1 {
					return nil, errors.New("parameter must be a whole segment: \"" + part + "\"")
				}
				inner := part[1 : len(part)-1]
				name, conv, hasConv := strings.Cut(inner, ":")
				if !validParamName(name) {
					return nil, errors.New("invalid parameter name \"" + name + "\" in \"" + part + "\"")
				}
				if names[name] {
					return nil, errors.New("duplicate parameter name \"" + name + "\"")
				}
				names[name] = true
				kind := ParamString
				if hasConv {
					switch conv {
					case "str":
						kind = ParamString
					case "int":
						kind = ParamInt
					case "float":
						kind = ParamFloat
					case "uuid":
						kind = ParamUUID
					case "path":
						kind = ParamPath
					default:
						return nil, errors.New("unknown converter \"" + conv + "\" in \"" + part + "\" (want str, int, float, uuid or path)")
					}
				}
				if kind == ParamPath && (i != len(parts)-1 || p.trailing) {
					return nil, errors.New("path parameter \"" + part + "\" must be the last segment")
				}
				p.static = false
				p.segments = append(p.segments, segment{param: true, name: name, kind: kind})
				p.params = append(p.params, PathParam{Name: name, Kind: kind})
				idx := len(p.params)
				if kind == ParamPath {
					shape.WriteString("*p")
				} else {
					shape.WriteString(":p")
				}
				shape.WriteString(itoa(idx))
				p.rank = append(p.rank, 1+uint8(kind))
				continue
			}
			if strings.ContainsAny(part, ":*") {
				return nil, errors.New("segment \"" + part + "\" contains ':' or '*'; use {name} for parameters")
			}
			p.segments = append(p.segments, segment{static: part})
			shape.WriteString(part)
			p.rank = append(p.rank, 0)
		}
		if p.trailing {
			shape.WriteByte('/')
		}
	}
	p.shape = shape.String()
	p.plain = true
	for _, pp := range p.params {
		if pp.Kind != ParamString {
			p.plain = false
		}
	}
	return p, nil
}

func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.') {
			continue
		}
		return false
	}
	return true
}

// key is the pattern with parameter names erased: two patterns with the same
// key and method are the same route.
func (p *pattern) key() string {
	var b strings.Builder
	for _, s := range p.segments {
		b.WriteByte('/')
		if s.param {
			b.WriteString("{:")
			b.WriteString(s.kind.String())
			b.WriteByte('}')
		} else {
			b.WriteString(s.static)
		}
	}
	if p.trailing || len(p.segments) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// compareRank orders two matched patterns: negative when a is more specific.
// Segments are compared left to right; static beats any parameter, and among
// parameters the more specific converter wins. A shorter pattern that matched
// the same path can only differ by a catch-all, which is less specific.
func compareRank(a, b []uint8) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return len(b) - len(a)
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}
