package covet

import (
	"encoding/json"
	"github.com/covetgo/covet/core/internal/problemjson"
	"math"
	"testing"
)

// appendProblem must write exactly what encoding/json writes for the same
// problem, or say it cannot.
func TestAppendProblemMatchesEncodingJSON(t *testing.T) {
	type plain Problem
	strs := []string{"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\r\x00\x1f", "é ü 日本",
		"bad \xff utf8 \xc3", "line\u2028sep\u2029", "emoji 😀"}
	//lint:ignore SA4026 the literal is the plain zero case; negative zero comes from arithmetic elsewhere.
	vals := []any{nil, "v", int64(-5), 0, uint64(1 << 63), true, 3.25, 1e21, 1e-7, 0.000001, -0.0, 5e-324, math.MaxFloat64}
	for i, s := range strs {
		for j, v := range vals {
			p := Problem{Type: "about:blank", Title: s, Status: 422, Detail: strs[(i+1)%len(strs)], Instance: s, RequestID: strs[(i+j)%len(strs)],
				Errors: []FieldError{{Location: "body", Field: s, Pointer: "/" + s, Message: s, Value: v}, {Location: "query", Field: "q", Message: "m"}}}
			want, err := json.Marshal(plain(p))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := problemjson.Append(nil, &p)
			if !ok {
				t.Fatalf("appendProblem refused %#v", v)
			}
			if string(got) != string(want) {
				t.Fatalf("value %#v, title %q:\n got  %s\n want %s", v, s, got, want)
			}
		}
	}
	p := Problem{Type: "x", Errors: []FieldError{{Value: []int{1}}}}
	if _, ok := problemjson.Append(nil, &p); ok {
		t.Error("appendProblem encoded a slice value itself")
	}
	p = Problem{Type: "x", Extensions: map[string]any{"a": 1}}
	if _, ok := problemjson.Append(nil, &p); ok {
		t.Error("appendProblem encoded extensions")
	}
}

// Random strings (any bytes, specials at every offset of the eight-byte
// fast path) must escape as encoding/json escapes them.
