package binding

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Edge cases where the plan once parted from encoding/json: each decodes
// a body through DecodeJSON (scan, planned decoder, validation), as a
// typed handler does, and compares with encoding/json.

type edgeDecoded[T any] struct {
	v    T
	err  error // a 400 (*Error)
	errs []FieldError
}

func edgeDecode[T any](t *testing.T, body string, strict bool) edgeDecoded[T] {
	t.Helper()
	tp, err := BodyPlan(reflect.TypeFor[T]())
	if err != nil {
		t.Fatal(err)
	}
	var out edgeDecoded[T]
	vs := NewState()
	out.err = DecodeJSON(nil, []byte(body), tp, &out.v, vs, Options{Strict: strict})
	out.errs = vs.Errs()
	return out
}

// edgeOddTag: a tag name encoding/json refuses (€ is neither a letter, a
// digit nor allowed punctuation); encoding/json uses the Go name, and the
// embedded struct with such a name is flattened as if untagged.
type edgeOddTag struct {
	Price   float64 `json:"price€"`
	Name    string  `json:"name"`
	EdgeEmb `json:"emb€"`
}

type EdgeEmb struct {
	Inner int `json:"inner"`
}

func TestInvalidTagNameUsesGoName(t *testing.T) {
	tp, err := BodyPlan(reflect.TypeFor[edgeOddTag]())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range tp.Fields {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "Price,name,inner" {
		t.Fatalf("plan names %s, want encoding/json's Price,name,inner", got)
	}
	body := `{"Price":2.5,"name":"n","inner":3}`
	d := edgeDecode[edgeOddTag](t, body, true)
	var want edgeOddTag
	if err := json.Unmarshal([]byte(body), &want); err != nil {
		t.Fatal(err)
	}
	if d.err != nil || len(d.errs) != 0 || d.v != want || want.Price != 2.5 || want.Inner != 3 {
		t.Fatalf("got %+v %v %v, encoding/json %+v", d.v, d.err, d.errs, want)
	}
	// The tag's spelling is an unknown field, as it is to encoding/json.
	d = edgeDecode[edgeOddTag](t, `{"price€":1,"Price":2,"name":"n","inner":1}`, true)
	if d.err != nil || len(d.errs) != 1 || d.errs[0].Field != "price€" || d.errs[0].Message != "is not a known field" {
		t.Fatalf("price€ should be an unknown field: %v %+v", d.err, d.errs)
	}
}

type edgeQuoted struct {
	Q int     `json:"q,string"`
	U uint8   `json:"u,string,omitempty"`
	F float64 `json:"f,string,omitempty"`
	B bool    `json:"b,string,omitempty"`
	S string  `json:"s,string,omitempty"`
	P *int    `json:"p,string,omitempty"`
	//lint:ignore SA5008 the option does not apply to a slice, as encoding/json ignores it
	Sl []int    `json:"sl,string,omitempty"`
	N  edgeNote `json:"n,omitempty"`
}

type edgeNote struct {
	V int64 `json:"v,string" minimum:"10"`
}

// TestQuotedOption: a `,string` field takes what encoding/json takes (a
// number, bool or JSON string inside a string, or null) and refuses what
// it refuses, as a 422 on that field.
func TestQuotedOption(t *testing.T) {
	for _, body := range []string{
		`{"q":"12","u":"255","f":"1.5e3","b":"true","s":"\"x\"","p":"7","sl":[1,2],"n":{"v":"11"}}`,
		`{"q":"-0","p":null}`,
		`{"q":null}`,
		`{"q":"12","p":"null"}`,
		`{"Q":"1"}`,
	} {
		d := edgeDecode[edgeQuoted](t, body, true)
		var want edgeQuoted
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatalf("%s: encoding/json: %v", body, err)
		}
		if d.err != nil || len(d.errs) != 0 {
			t.Fatalf("%s: refused (%v %+v), encoding/json takes it: %+v", body, d.err, d.errs, want)
		}
		if !reflect.DeepEqual(d.v, want) {
			t.Fatalf("%s: got %+v, encoding/json %+v", body, d.v, want)
		}
	}
	for _, c := range []struct{ body, ptr, msg string }{
		{`{"q":12}`, "/q", "must be a string holding an integer (the field is tagged ,string)"},
		{`{"q":"x"}`, "/q", "must be a string holding an integer (the field is tagged ,string)"},
		{`{"q":"1.5"}`, "/q", "must be a string holding an integer (the field is tagged ,string)"},
		{`{"q":"1","u":"256"}`, "/u", "must be a string holding an integer (the field is tagged ,string)"},
		{`{"q":"1","b":"yes"}`, "/b", "must be a string holding true or false (the field is tagged ,string)"},
		{`{"q":"1","s":"x"}`, "/s", "must be a string holding a JSON string (the field is tagged ,string)"},
		{`{"q":"1","s":"\"a\\u0000\""}`, "/s", errNUL.Error()},
		{`{"q":"1","n":{"v":"9"}}`, "/n/v", "must be greater than or equal to 10"},
	} {
		if err := json.Unmarshal([]byte(c.body), new(edgeQuoted)); err == nil && !strings.Contains(c.msg, "NUL") && !strings.Contains(c.msg, "greater") {
			t.Fatalf("%s: encoding/json takes it", c.body)
		}
		d := edgeDecode[edgeQuoted](t, c.body, true)
		if d.err != nil || len(d.errs) != 1 || d.errs[0].Pointer != c.ptr || d.errs[0].Message != c.msg {
			t.Fatalf("%s: got %v %+v, want one failure at %s: %s", c.body, d.err, d.errs, c.ptr, c.msg)
		}
	}
}

// TestDashCommaNamesAField: json:"-," is a field named "-", json:"-" is
// skipped.
func TestDashCommaNamesAField(t *testing.T) {
	type dash struct {
		Skip string `json:"-"`
		//lint:ignore SA5008 a field named "-"
		Dash string `json:"-,"`
	}
	d := edgeDecode[dash](t, `{"-":"d"}`, true)
	if d.err != nil || len(d.errs) != 0 || d.v.Dash != "d" || d.v.Skip != "" {
		t.Fatalf("got %+v %v %+v", d.v, d.err, d.errs)
	}
	d = edgeDecode[dash](t, `{"-":"d","Skip":"s"}`, true)
	if len(d.errs) != 1 || d.errs[0].Field != "Skip" {
		t.Fatalf("Skip should be unknown: %+v", d.errs)
	}
}

// TestInvalidUTF8Keys: encoding/json replaces each byte of invalid UTF-8
// in a key with U+FFFD before matching or storing it; so does the scan,
// so two keys that differ only there are a duplicate (400), and an
// unknown one is reported as encoding/json decodes it.
func TestInvalidUTF8Keys(t *testing.T) {
	d := edgeDecode[map[string]int](t, "{\"a\xff\":1,\"a\xfe\":2}", false)
	var e *Error
	if !errors.As(d.err, &e) || e.Status != 400 || !strings.Contains(e.Detail, "duplicate key \"a\ufffd\"") {
		t.Fatalf("want a 400 duplicate key, got %v", d.err)
	}
	d = edgeDecode[map[string]int](t, "{\"a\xff\":1,\"a\\ufffd\":2}", false)
	if !errors.As(d.err, &e) || e.Status != 400 {
		t.Fatalf("want a 400 duplicate key, got %v", d.err)
	}
	d = edgeDecode[map[string]int](t, "{\"a\xff\xfe\":1,\"a\xff\":2}", false)
	if d.err != nil || d.v["a\ufffd\ufffd"] != 1 || d.v["a\ufffd"] != 2 {
		t.Fatalf("got %v %v", d.v, d.err)
	}
	d2 := edgeDecode[edgeOddTag](t, "{\"Price\":1,\"name\":\"n\",\"inner\":1,\"x\xff\":1}", true)
	if d2.err != nil || len(d2.errs) != 1 || d2.errs[0].Field != "x\ufffd" {
		t.Fatalf("got %v %+v", d2.err, d2.errs)
	}
	// A case-insensitive match is decoded (encoding/json's rule); a key
	// matching a field already seen, in any case, is a duplicate.
	d2 = edgeDecode[edgeOddTag](t, `{"PRICE":1,"NAME":"n","Inner":1}`, true)
	if d2.err != nil || len(d2.errs) != 0 || d2.v.Price != 1 || d2.v.Name != "n" || d2.v.Inner != 1 {
		t.Fatalf("got %+v %v %+v", d2.v, d2.err, d2.errs)
	}
	d2 = edgeDecode[edgeOddTag](t, `{"Price":1,"name":"n","inner":1,"NAME":"m"}`, true)
	if !errors.As(d2.err, &e) || e.Status != 400 || !strings.Contains(e.Detail, "duplicate key") {
		t.Fatalf("want a 400 duplicate key, got %v", d2.err)
	}
}

// TestFieldErrorsBounded: a body of many small wrong values lists at most
// MaxFieldErrors failures (and one saying more were left out), so neither
// memory nor the 422 grows with the count.
func TestFieldErrorsBounded(t *testing.T) {
	body := "[" + strings.Repeat("1,", 200000) + "1]"
	d := edgeDecode[[]string](t, body, false)
	if d.err != nil || len(d.errs) != MaxFieldErrors+1 {
		t.Fatalf("%v, %d failures, want %d", d.err, len(d.errs), MaxFieldErrors+1)
	}
	if d.errs[0].Pointer != "/0" || d.errs[MaxFieldErrors-1].Pointer != "/99" || d.errs[MaxFieldErrors].Message != truncatedMessage {
		t.Fatalf("first %+v, last listed %+v, marker %+v", d.errs[0], d.errs[MaxFieldErrors-1], d.errs[MaxFieldErrors])
	}
	var keys strings.Builder
	keys.WriteString(`{"Price":1,"name":"n","inner":1`)
	for i := 0; i < 5000; i++ {
		keys.WriteString(`,"k` + strconv.Itoa(i) + `":0`)
	}
	keys.WriteString("}")
	d2 := edgeDecode[edgeOddTag](t, keys.String(), true)
	if d2.err != nil || len(d2.errs) != MaxFieldErrors+1 || d2.errs[0].Field != "k0" {
		t.Fatalf("%v, %d failures", d2.err, len(d2.errs))
	}
	allocs := testing.AllocsPerRun(3, func() { edgeDecode[[]string](t, body, false) })
	if allocs > 1000 {
		t.Fatalf("%.0f allocations for %d wrong values: the cost grows with the count", allocs, 200001)
	}
}
