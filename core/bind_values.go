package covet

import (
	"reflect"
	"unsafe"
)

// BindValues fills the query-tagged fields of v (a non-nil pointer to a
// struct) from values, keyed by parameter name, exactly as typed handlers
// bind query parameters: the same parsing (durations, times,
// encoding.TextUnmarshaler types, pointers for optional values, a slice
// collecting every value of its key), defaults, required:"true" and
// constraint tags. Every failure is reported at once, as the *Error of a
// 422 (Location "query", Field the parameter name). A scalar takes the
// first value of its key; a slice given an empty list of values is empty
// (its default does not apply). Fields of other locations are left alone.
//
// It lets code outside a request reuse the binding engine: the settings
// plugin loads typed configuration through it.
func BindValues(v any, values map[string][]string) error {
	ip, p, err := bindTarget(v)
	if err != nil {
		return err
	}
	ps := ip.params[locQuery]
	if ps == nil {
		return nil
	}
	vs := validatePool.Get().(*validateState)
	vs.reset()
	defer validatePool.Put(vs)
	var seen, bad uint64
	for _, f := range ps.fields {
		vals, ok := values[f.name]
		if !ok || len(vals) == 0 && f.t.kind != vkSlice {
			continue // absent; an empty list for a slice means "no items", not the default
		}
		seen |= f.bit
		fp := unsafe.Add(p, f.offset)
		if len(vals) == 0 {
			sv := reflect.NewAt(f.t.t, fp).Elem()
			sv.Set(reflect.MakeSlice(f.t.t, 0, 0))
		}
		for _, s := range vals {
			if err := setParam(f, s, fp); err != nil {
				vs.failParam(f, err, s)
				bad |= f.bit
				break
			}
			if f.t.kind != vkSlice {
				break
			}
		}
	}
	finishParams(ps, seen, bad, p, vs)
	if len(vs.errs) > 0 {
		return validationError(vs.errs)
	}
	return nil
}
