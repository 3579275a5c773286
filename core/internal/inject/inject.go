// Package inject is the engine of covet's dependencies (covet.Provide,
// ProvideIn, Resolve): the provider registry, the provided fields of a
// typed input, and the per-request resolution with its cache and cycle
// detection. covet's provide.go keeps the public functions and options. C
// is the request context (*covet.Context). It does not import covet.
package inject

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/covetgo/covet/core/internal/binding"
)

// Provider provides values of one type.
type Provider[C any] struct {
	T    reflect.Type
	Name string // T.String(), for cycle errors
	// Resolve makes the value for a request.
	Resolve func(c C) (any, error)
	// Set stores a value (of type T, or nil) into a field of type T at dst.
	Set func(dst unsafe.Pointer, v any)
	// Params are the input types whose parameters the provider reads,
	// its dependencies' included (for documentation).
	Params []reflect.Type
	// File and Line are where it was registered.
	File string
	Line int
}

// Providers are an app's providers by provided type.
type Providers[C any] map[reflect.Type]*Provider[C]

// Config is what the ProvideOptions set.
type Config struct {
	Params []reflect.Type // ProvideParams input structs
	Deps   []reflect.Type // DependsOn types
}

// Register adds the provider of T; where names the registration for the
// panics ("file:line"), as route registration errors do.
func Register[T, C any](ps *Providers[C], resolve func(c C) (any, error), params []reflect.Type, pc Config, file string, line int) {
	t := reflect.TypeFor[T]()
	if old := (*ps)[t]; old != nil {
		panic(fmt.Sprintf("covet: Provide[%s] at %s:%d: the type already has a provider (%s:%d)", t, file, line, old.File, old.Line))
	}
	for _, pt := range pc.Params {
		if pt == nil || pt.Kind() != reflect.Struct {
			panic(fmt.Sprintf("covet: Provide[%s] at %s:%d: ProvideParams takes input structs, not %v", t, file, line, pt))
		}
		ip, err := binding.CompileInput(pt)
		if err != nil {
			panic(fmt.Sprintf("covet: Provide[%s] at %s:%d: ProvideParams %s: %v", t, file, line, pt, err))
		}
		if ip.HasBody() {
			panic(fmt.Sprintf("covet: Provide[%s] at %s:%d: ProvideParams %s declares a body: parameters only", t, file, line, pt))
		}
		params = AppendTypes(params, pt)
	}
	for _, dt := range pc.Deps {
		d := (*ps)[dt]
		if d == nil {
			panic(fmt.Sprintf("covet: Provide[%s] at %s:%d: DependsOn[%s]: no provider registered for it (register it first)", t, file, line, dt))
		}
		params = AppendTypes(params, d.Params...)
	}
	if *ps == nil {
		*ps = Providers[C]{}
	}
	(*ps)[t] = &Provider[C]{
		T: t, Name: t.String(), Resolve: resolve, Params: params, File: file, Line: line,
		Set: func(dst unsafe.Pointer, v any) { *(*T)(dst), _ = v.(T) },
	}
}

// AppendTypes appends the types of add not yet in ts.
func AppendTypes(ts []reflect.Type, add ...reflect.Type) []reflect.Type {
outer:
	for _, a := range add {
		for _, t := range ts {
			if t == a {
				continue outer
			}
		}
		ts = append(ts, a)
	}
	return ts
}

// FieldDep is a provided field of an input struct.
type FieldDep[C any] struct {
	P      *Provider[C]
	Offset uintptr
}

// Fields returns the fields of the input struct t whose type has a
// provider (exported, not Body), and their indexes.
func (ps Providers[C]) Fields(t reflect.Type) ([]FieldDep[C], []int, error) {
	if len(ps) == 0 || t.Kind() != reflect.Struct {
		return nil, nil, nil
	}
	var deps []FieldDep[C]
	var idx []int
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		p := ps[sf.Type]
		if p == nil || !sf.IsExported() || sf.Name == "Body" {
			continue
		}
		if sf.Anonymous {
			return nil, nil, fmt.Errorf("field %s: an embedded field cannot be provided: name it", sf.Name)
		}
		deps = append(deps, FieldDep[C]{P: p, Offset: sf.Offset})
		idx = append(idx, i)
	}
	return deps, idx, nil
}

// Params returns the parameter types the providers of deps read.
func Params[C any](ts []reflect.Type, deps []FieldDep[C]) []reflect.Type {
	for _, d := range deps {
		ts = AppendTypes(ts, d.P.Params...)
	}
	return ts
}

// Slot is a provider's value for one request.
type Slot[C any] struct {
	p         *Provider[C]
	v         any
	err       error
	resolving bool
	done      bool
}

// Slots are the values resolved for one request, in resolution order:
// each provider runs at most once per request. Reset them with clear and
// [:0] when the request ends.
type Slots[C any] []Slot[C]

// Fill resolves deps for c and stores them into the struct in points to
// (in holds a pointer to the input type deps were computed for).
func (s *Slots[C]) Fill(c C, deps []FieldDep[C], in any) error {
	base := binding.Ptr(in)
	for _, d := range deps {
		v, err := s.Resolve(c, d.P)
		if err != nil {
			return err
		}
		d.P.Set(unsafe.Add(base, d.Offset), v)
	}
	return nil
}

// ErrCycle is wrapped by the error of a provider that (indirectly) needs
// its own value.
var ErrCycle = errors.New("covet: provider cycle")

// Resolve returns p's value for c: the cached one, or p.Resolve's (error
// included, cached as well). A provider that needs itself is an ErrCycle
// naming the chain.
func (s *Slots[C]) Resolve(c C, p *Provider[C]) (any, error) {
	for i := range *s {
		sl := &(*s)[i]
		if sl.p != p {
			continue
		}
		if sl.done {
			return sl.v, sl.err
		}
		var names []string
		for _, o := range (*s)[i:] {
			if o.resolving {
				names = append(names, o.p.Name)
			}
		}
		names = append(names, p.Name)
		return nil, fmt.Errorf("%w: %s", ErrCycle, strings.Join(names, " → "))
	}
	*s = append(*s, Slot[C]{p: p, resolving: true})
	i := len(*s) - 1
	v, err := p.Resolve(c)
	sl := &(*s)[i]
	sl.v, sl.err, sl.resolving, sl.done = v, err, false, true
	return v, err
}
