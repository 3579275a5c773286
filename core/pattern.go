package covet

import irouter "github.com/covetgo/covet/core/internal/router"

// ParamKind is a path parameter's converter: a segment it refuses does not
// match the route (another route may), as in Starlette.
type ParamKind uint8

// The path converters, most specific first (tried first among routes that
// differ only there).
const (
	// ParamInt accepts one or more ASCII digits ({id:int}).
	ParamInt = ParamKind(irouter.Int)
	// ParamFloat accepts digits with an optional fraction ({x:float}).
	ParamFloat = ParamKind(irouter.Float)
	// ParamUUID accepts a canonical 8-4-4-4-12 hexadecimal UUID ({id:uuid}).
	ParamUUID = ParamKind(irouter.UUID)
	// ParamString accepts any non-empty segment without '/' ({name} or {name:str}).
	ParamString = ParamKind(irouter.String)
	// ParamPath accepts the rest of the path, slashes included, possibly empty
	// ({p:path}); it may only be the last segment.
	ParamPath = ParamKind(irouter.Path)
)

// String returns the converter's name as written in patterns.
func (k ParamKind) String() string { return irouter.Kind(k).Name() }

// PathParam describes one parameter of a route pattern.
type PathParam struct {
	Name string    // its name in the pattern
	Kind ParamKind // its converter
}

// pattern is a parsed route pattern with its parameters in public form.
type pattern struct {
	*irouter.Pattern
	params []PathParam
}

// parsePattern parses a FastAPI-style pattern such as /users/{id:int}/files/{p:path}.
func parsePattern(raw string) (*pattern, error) {
	p, err := irouter.Parse(raw)
	if err != nil {
		return nil, err
	}
	params := make([]PathParam, len(p.Params))
	for i, pp := range p.Params {
		params[i] = PathParam{Name: pp.Name, Kind: ParamKind(pp.Kind)}
	}
	return &pattern{Pattern: p, params: params}, nil
}

func itoa(i int) string { return irouter.Itoa(i) }
