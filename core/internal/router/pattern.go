package router

import (
	"errors"
	"strings"
)

// Kind is a path parameter's converter (covet.ParamKind has the same values).
type Kind uint8

// The converters, from the most specific to the least.
const (
	Int Kind = iota
	Float
	UUID
	String
	Path
)

// Name returns the converter's name as written in patterns.
func (k Kind) Name() string {
	switch k {
	case Int:
		return "int"
	case Float:
		return "float"
	case UUID:
		return "uuid"
	case String:
		return "str"
	case Path:
		return "path"
	}
	return "unknown"
}

// Accepts reports whether s is a value the converter accepts.
func (k Kind) Accepts(s string) bool {
	switch k {
	case Int:
		if s == "" {
			return false
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	case Float:
		return isFloatSegment(s)
	case UUID:
		return isUUID(s)
	case String:
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

// Param is one parameter of a pattern.
type Param struct {
	Name string
	Kind Kind
}

// Segment is one '/'-separated part of a parsed pattern.
type Segment struct {
	Static string // literal text when Param is false
	Param  bool
	Name   string
	Kind   Kind
}

// Pattern is a parsed route pattern.
type Pattern struct {
	Raw      string
	Segments []Segment
	Params   []Param
	Trailing bool // ends with '/'
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

// ErrEmptyPattern: a pattern must start with '/'.
var ErrEmptyPattern = errors.New("pattern must start with '/'")

// Parse parses a FastAPI-style pattern such as /users/{id:int}/files/{p:path}.
func Parse(raw string) (*Pattern, error) {
	if raw == "" || raw[0] != '/' {
		return nil, ErrEmptyPattern
	}
	if strings.Contains(raw, "//") {
		return nil, errors.New("empty segment (\"//\")")
	}
	p := &Pattern{Raw: raw, static: true}
	body := raw[1:]
	if strings.HasSuffix(body, "/") {
		p.Trailing = true
		body = body[:len(body)-1]
	}
	var shape strings.Builder
	shape.WriteByte('/')
	names := map[string]bool{}
	if body != "" || p.Trailing {
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
				kind := String
				if hasConv {
					switch conv {
					case "str":
						kind = String
					case "int":
						kind = Int
					case "float":
						kind = Float
					case "uuid":
						kind = UUID
					case "path":
						kind = Path
					default:
						return nil, errors.New("unknown converter \"" + conv + "\" in \"" + part + "\" (want str, int, float, uuid or path)")
					}
				}
				if kind == Path && (i != len(parts)-1 || p.Trailing) {
					return nil, errors.New("path parameter \"" + part + "\" must be the last segment")
				}
				p.static = false
				p.Segments = append(p.Segments, Segment{Param: true, Name: name, Kind: kind})
				p.Params = append(p.Params, Param{Name: name, Kind: kind})
				idx := len(p.Params)
				if kind == Path {
					shape.WriteString("*p")
				} else {
					shape.WriteString(":p")
				}
				shape.WriteString(Itoa(idx))
				p.rank = append(p.rank, 1+uint8(kind))
				continue
			}
			if strings.ContainsAny(part, ":*") {
				return nil, errors.New("segment \"" + part + "\" contains ':' or '*'; use {name} for parameters")
			}
			p.Segments = append(p.Segments, Segment{Static: part})
			shape.WriteString(part)
			p.rank = append(p.rank, 0)
		}
		if p.Trailing {
			shape.WriteByte('/')
		}
	}
	p.shape = shape.String()
	p.plain = true
	for _, pp := range p.Params {
		if pp.Kind != String {
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
func (p *Pattern) key() string {
	var b strings.Builder
	for _, s := range p.Segments {
		b.WriteByte('/')
		if s.Param {
			b.WriteString("{:")
			b.WriteString(s.Kind.Name())
			b.WriteByte('}')
		} else {
			b.WriteString(s.Static)
		}
	}
	if p.Trailing || len(p.Segments) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// CompareRank orders two matched patterns: negative when a is more specific.
// Segments are compared left to right; static beats any parameter, and among
// parameters the more specific converter wins. A shorter pattern that matched
// the same path can only differ by a catch-all, which is less specific.
func CompareRank(a, b []uint8) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return len(b) - len(a)
}

// Itoa formats a non-negative int without strconv.
func Itoa(i int) string {
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
