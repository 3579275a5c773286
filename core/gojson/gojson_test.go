package gojson_test

import (
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"reflect"
	"testing"

	"github.com/covetgo/covet/core/gojson"
)

type failing struct{}

func (*failing) UnmarshalJSON([]byte) error { return errors.New("failing: refused") }

func (failing) MarshalJSON() ([]byte, error) { return nil, errors.New("failing: cannot") }

type target struct {
	A  int        `json:"a"`
	S  string     `json:"s"`
	F  failing    `json:"f"`
	IP netip.Addr `json:"ip"`
	B  []byte     `json:"b"`
	In struct {
		N uint8 `json:"n"`
	} `json:"in"`
}

// TestUnmarshalErrorsAreEncodingJSONs: Codec.Unmarshal fails with the
// error encoding/json gives for the same input — same type, same message
// — so that code testing for *json.SyntaxError or *json.UnmarshalTypeError
// (Covet's binding among it) works with either codec.
func TestUnmarshalErrorsAreEncodingJSONs(t *testing.T) {
	for _, in := range []string{
		``, `{"a":`, `{"a":1}x`, `{"a":1,}`, `nul`, `{"a" 1}`, `[1,]`, "\"\x01\"", // syntax
		`{"a":"x"}`, `{"a":1e400}`, `{"in":{"n":300}}`, `[1]`, `"s"`, // types
		`{"b":"!!"}`,  // base64
		`{"f":1}`,     // UnmarshalJSON's error
		`{"ip":"zz"}`, // UnmarshalText's error
	} {
		var a, b target
		want := json.Unmarshal([]byte(in), &a)
		got := gojson.Codec{}.Unmarshal([]byte(in), &b)
		if want == nil || got == nil {
			t.Fatalf("%q: encoding/json %v, gojson %v: both should fail", in, want, got)
		}
		var wte, gte *json.UnmarshalTypeError
		if errors.As(want, &wte) {
			// (Struct, in the message, may differ: goccy names the root
			// type where encoding/json names an anonymous struct "")
			if !errors.As(got, &gte) || gte.Field != wte.Field || gte.Type != wte.Type || gte.Value != wte.Value {
				t.Errorf("%q: type error %+v, encoding/json's %+v", in, got, wte)
			}
			continue
		}
		if reflect.TypeOf(got) != reflect.TypeOf(want) || got.Error() != want.Error() {
			t.Errorf("%q:\n gojson        %T %v\n encoding/json %T %v", in, got, got, want, want)
		}
		var wse, gse *json.SyntaxError
		if errors.As(want, &wse) && (!errors.As(got, &gse) || gse.Offset != wse.Offset) {
			t.Errorf("%q: syntax error %#v, encoding/json's offset %d", in, got, wse.Offset)
		}
	}
	for _, v := range []any{nil, target{}, (*target)(nil)} {
		want := json.Unmarshal([]byte(`{}`), v)
		got := gojson.Codec{}.Unmarshal([]byte(`{}`), v)
		var ie *json.InvalidUnmarshalError
		if !errors.As(got, &ie) || got.Error() != want.Error() {
			t.Errorf("%T: gojson %T %v, encoding/json %T %v", v, got, got, want, want)
		}
	}
}

// TestMarshalErrorsAreEncodingJSONs: Codec.Marshal fails with encoding/json's
// error types.
func TestMarshalErrorsAreEncodingJSONs(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(-1), struct{ F float32 }{float32(math.Inf(1))}, make(chan int), func() {}, failing{}, []failing{{}}} {
		_, want := json.Marshal(v)
		_, got := gojson.Codec{}.Marshal(v)
		if want == nil || got == nil {
			t.Fatalf("%T: encoding/json %v, gojson %v: both should fail", v, want, got)
		}
		if reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Errorf("%T:\n gojson        %T %v\n encoding/json %T %v", v, got, got, want, want)
		}
	}
}
