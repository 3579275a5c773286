package binding

import (
	gojson "github.com/goccy/go-json"
	"reflect"
	"testing"
)

// BenchmarkBodySteps times the steps of reading a typed JSON body alone, on
// the benchmark's body: the plan-guided scan (presence, types, depth,
// duplicates), the decode by goccy/go-json and by the planned decoder (the
// default), and the compiled checks.
//
//	go test -run '^$' -bench BodySteps -cpu 1 -benchmem -count 8 .
func BenchmarkBodySteps(b *testing.B) {
	body := []byte(`{"name":"Widget Pro","description":"A very useful widget","email":"buyer@example.com","quantity":3,"price":19.99,"active":true,"kind":"book","address":{"city":"Springfield","zip":"12345"},"tags":["a","b"],"sku":"WID-001"}`)
	tp, err := BodyPlan(reflect.TypeFor[diffItem]())
	if err != nil {
		b.Fatal(err)
	}
	vs := NewState()
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
			if err := (testCodec{}).Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("step=planned", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v diffItem
			if err := decodePlanned(body, tp, reflect.ValueOf(&v).UnsafePointer()); err != nil {
				b.Fatal(err)
			}
		}
	})
	var v diffItem
	_ = (testCodec{}).Unmarshal(body, &v)
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
			if err := DecodeJSON(testCodec{}, body, tp, &v, vs, Options{}); err != nil || len(vs.errs) > 0 {
				b.Fatal(err, vs.errs)
			}
		}
	})
	b.Run("step=all-planned", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			vs.reset()
			var v diffItem
			if err := DecodeJSON(nil, body, tp, &v, vs, Options{}); err != nil || len(vs.errs) > 0 {
				b.Fatal(err, vs.errs)
			}
		}
	})
}

// diffItem is the benchmark's body type (the differential test in package
// schema uses the same one).
type diffItem struct {
	Name        string      `json:"name" minLength:"2" maxLength:"64"`
	Description string      `json:"description,omitempty" maxLength:"256"`
	Email       string      `json:"email" format:"email"`
	Quantity    int         `json:"quantity" minimum:"1" maximum:"1000"`
	Price       float64     `json:"price" minimum:"0" maximum:"100000"`
	Active      bool        `json:"active"`
	Kind        string      `json:"kind" enum:"book,movie,music"`
	Address     diffAddress `json:"address"`
	Tags        []string    `json:"tags" maxItems:"5"`
	SKU         string      `json:"sku" minLength:"3" maxLength:"12"`
	Discount    *float64    `json:"discount,omitempty" exclusiveMinimum:"0" exclusiveMaximum:"1"`
	Lines       []diffLine  `json:"lines,omitempty" minItems:"1" uniqueItems:"true"`
}

type diffAddress struct {
	City string `json:"city" minLength:"1" maxLength:"64"`
	Zip  string `json:"zip" pattern:"^[0-9]{5}$"`
}

type diffLine struct {
	SKU   string `json:"sku" minLength:"3"`
	Count int8   `json:"count" multipleOf:"2"`
}

// testCodec is goccy/go-json's decoder (core/gojson.Codec).
type testCodec struct{}

func (testCodec) Unmarshal(data []byte, v any) error { return gojson.Unmarshal(data, v) }
