package binding

import (
	"fmt"
	"reflect"
)

// Overrides are a route's binding options; nil fields keep the app's.
type Overrides struct {
	BodyLimit *int64
	Strict    *bool
	MaxDepth  *int
}

// Apply returns o with the overrides set on it.
func (ov *Overrides) Apply(o Options) Options {
	if ov.BodyLimit != nil {
		o.BodyLimit = *ov.BodyLimit
	}
	if ov.Strict != nil {
		o.Strict = *ov.Strict
	}
	if ov.MaxDepth != nil {
		o.MaxDepth = *ov.MaxDepth
	}
	return o
}

// InputTarget compiles the input plan of the struct v points to, for
// covet's Bind, BindQuery and BindValues.
func InputTarget(v any) (*InputPlan, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("covet: Bind needs a non-nil pointer to a struct, not %T", v)
	}
	ip, err := CompileInput(rv.Type().Elem())
	if err != nil {
		return nil, fmt.Errorf("covet: Bind %T: %w", v, err)
	}
	return ip, nil
}

// JSONTarget compiles the body plan of the value v points to, for covet's
// BindJSON and DecodeJSON (named by who in errors).
func JSONTarget(who string, v any) (*TypePlan, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("covet: %s needs a non-nil pointer, not %T", who, v)
	}
	tp, err := BodyPlan(rv.Type().Elem())
	if err != nil {
		return nil, fmt.Errorf("covet: %s %T: %w", who, v, err)
	}
	return tp, nil
}
