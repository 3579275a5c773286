package covet

import (
	"reflect"
	"testing"
)

// BenchmarkBodySteps times the steps of reading a typed JSON body alone, on
// the benchmark's body: the plan-guided scan (presence, types, depth,
// duplicates), the decode by the default codec, and the compiled checks.
//
//	go test -run '^$' -bench BodySteps -cpu 1 -benchmem -count 8 .
func BenchmarkBodySteps(b *testing.B) {
	body := []byte(`{"name":"Widget Pro","description":"A very useful widget","email":"buyer@example.com","quantity":3,"price":19.99,"active":true,"kind":"book","address":{"city":"Springfield","zip":"12345"},"tags":["a","b"],"sku":"WID-001"}`)
	tp, err := bodyPlan(reflect.TypeFor[diffItem]())
	if err != nil {
		b.Fatal(err)
	}
	vs := newValidateState()
	b.Run("step=scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			vs.reset()
			sc := jsonScanner{data: body, maxDepth: DefaultMaxJSONDepth, vs: vs}
			if !sc.scan(tp) || len(vs.errs) > 0 {
				b.Fatal(sc.err, vs.errs)
			}
		}
	})
	b.Run("step=decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v diffItem
			if err := (GoJSON{}).Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	var v diffItem
	_ = (GoJSON{}).Unmarshal(body, &v)
	b.Run("step=validate", func(b *testing.B) {
		// The scan notes the absent optional fields the checks must skip.
		vs.reset()
		sc := jsonScanner{data: body, maxDepth: DefaultMaxJSONDepth, vs: vs}
		sc.scan(tp)
		b.ReportAllocs()
		for b.Loop() {
			vs.errs = nil
			vs.checkValue(tp, nil, reflect.ValueOf(&v).UnsafePointer())
			if len(vs.errs) > 0 {
				b.Fatal(vs.errs)
			}
		}
	})
	b.Run("step=all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			vs.reset()
			var v diffItem
			if err := decodeJSON(GoJSON{}, body, tp, reflect.ValueOf(&v).UnsafePointer(), vs, jsonOptions{}); err != nil || len(vs.errs) > 0 {
				b.Fatal(err, vs.errs)
			}
		}
	})
}
