package jsonenc

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

type inner struct {
	A int8    `json:"a"`
	B *string `json:"b,omitempty"`
	C []inner `json:"c"`
}

type Embedded struct {
	E1 string
	E2 uint16 `json:"e2,omitempty"`
}

type hidden struct{ H bool }

type plain struct {
	Embedded
	hidden
	S   string   `json:"s"`
	OS  string   `json:"os,omitempty"`
	Bo  bool     `json:"bo,omitempty"`
	I   int      `json:"i"`
	I8  int8     `json:"i8,omitempty"`
	I16 int16    `json:"i16"`
	I32 int32    `json:"i32"`
	I64 int64    `json:"i64,omitempty"`
	U   uint     `json:"u"`
	U8  uint8    `json:"u8"`
	U16 uint16   `json:"u16"`
	U32 uint32   `json:"u32,omitempty"`
	U64 uint64   `json:"u64"`
	F32 float32  `json:"f32"`
	F64 float64  `json:"f64,omitempty"`
	PI  *int     `json:"pi"`
	PPS **string `json:"pps,omitempty"`
	In  inner    `json:"in"`
	PIn *inner   `json:"pin"`
	SS  []string `json:"ss"`
	SSE []string `json:"sse,omitempty"`
	SP  []*inner `json:"sp"`
	//lint:ignore SA5008 an invalid tag name: encoding/json uses the Go name
	Odd     string   `json:"a\"b"`
	Punct   string   `json:"p.q-r"`
	Skip    string   `json:"-"`
	Dash    string   `json:"-,"` //lint:ignore SA5008 a field named "-"
	NoTag   float64  //
	unused  int      //lint:ignore U1000 encoding/json ignores it
	Named   myString `json:"named"`
	HTML    string   `json:"<html>&"`
	unicode string   //lint:ignore U1000 unexported
	Uni     string   `json:"ünï"`
}

type myString string

// withFallback holds kinds left to encoding/json.
type withFallback struct {
	S    string         `json:"s"`
	M    map[string]int `json:"m"`
	Any  any            `json:"any"`
	T    time.Time      `json:"t"`
	Addr netip.Addr     `json:"addr"`
	B    []byte         `json:"b"`
	A    [2]int         `json:"a"`
	Q    int            `json:"q,string"`
}

type clash struct {
	Embedded
	E1 int
}

var floats = []float64{0, math.Copysign(0, -1), 1, -1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.123, 3.4e38, 5e-324, math.MaxFloat64, 0.1, 1.0 / 3}

var strs = []string{"", "a", "Widget Pro", "<script>&", "quote\"back\\slash", "\x00\x1f\t\n\r", "é", "\xff\xfe", "\u2028\u2029", "a\xc3", "😀"}

func fill(rng *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(strs[rng.IntN(len(strs))])
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch rng.IntN(3) {
		case 0:
			v.SetInt(0)
		case 1:
			v.SetInt(-1 << (v.Type().Bits() - 1))
		default:
			v.SetInt(int64(rng.Uint64()) >> (64 - v.Type().Bits()))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if rng.IntN(3) == 0 {
			v.SetUint(0)
		} else {
			v.SetUint(rng.Uint64() >> (64 - v.Type().Bits()))
		}
	case reflect.Float32, reflect.Float64:
		f := floats[rng.IntN(len(floats))]
		if rng.IntN(2) == 0 {
			f = -f
		}
		if v.Kind() == reflect.Float32 && math.Abs(f) > math.MaxFloat32 {
			f = 1
		}
		v.SetFloat(f)
	case reflect.Pointer:
		if depth > 3 || rng.IntN(3) == 0 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(rng, v.Elem(), depth+1)
	case reflect.Slice:
		if depth > 3 || rng.IntN(4) == 0 {
			return
		}
		n := rng.IntN(3)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := 0; i < n; i++ {
			fill(rng, v.Index(i), depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() || v.Type().Field(i).Anonymous {
				f := v.Field(i)
				if !f.CanSet() {
					continue
				}
				fill(rng, f, depth+1)
			}
		}
	case reflect.Map:
		v.Set(reflect.ValueOf(map[string]int{"b": 1, "a": 2, "<": 3}))
	case reflect.Interface:
		v.Set(reflect.ValueOf([]any{1.5, "x", nil}))
	}
}

func check(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := Append([]byte("prefix"), v)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%#v: error %v, encoding/json's %v", v, err, wantErr)
	}
	if err == nil && !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("%#v:\n got %s\nwant %s", v, got[len("prefix"):], want)
	}
}

// TestMatchesMarshal: Append gives json.Marshal's bytes (or its failure)
// for random values of several types, the compiled ones and the ones left
// to encoding/json.
func TestMatchesMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	types := []reflect.Type{
		reflect.TypeFor[plain](), reflect.TypeFor[inner](), reflect.TypeFor[withFallback](),
		reflect.TypeFor[clash](), reflect.TypeFor[[]plain](), reflect.TypeFor[string](), reflect.TypeFor[float32](),
	}
	for i := 0; i < 3000; i++ {
		typ := types[i%len(types)]
		pv := reflect.New(typ)
		fill(rng, pv.Elem(), 0)
		check(t, pv.Interface())
		check(t, pv.Elem().Interface())
	}
	for _, typ := range types[:2] {
		if lookup(reflect.PointerTo(typ)).enc == nil {
			t.Fatalf("%s is not compiled: the test would compare encoding/json with itself", typ)
		}
	}
	check(t, nil)
	check(t, &struct{ F float64 }{math.NaN()})
	check(t, &struct{ F []float32 }{[]float32{float32(math.Inf(1))}})
	check(t, map[string]any{"a": 1})
	// json.Number is written bare, "" as 0, and an invalid one is an error
	for _, n := range []json.Number{"12", "-1.5e3", "", "x", "01", " 1"} {
		check(t, &struct{ N json.Number }{n})
		check(t, struct{ N []json.Number }{[]json.Number{n}})
		check(t, n)
	}
}

type direct struct{ P *inner }

type directArr [1]*string

type nested struct{ D direct }

// TestDirectValues: values an interface stores in its data word (a struct
// of one pointer, an array of one pointer) and the ones it points to are
// both read right.
func TestDirectValues(t *testing.T) {
	s := "x<"
	in := &inner{A: 7, B: &s}
	for _, v := range []any{direct{P: in}, direct{}, &direct{P: in}, directArr{&s}, nested{D: direct{P: in}}, struct{ A, B int }{1, 2}, struct{}{}, 3.5, "str", true} {
		check(t, v)
	}
	if !isDirect(reflect.TypeFor[direct]()) || !isDirect(reflect.TypeFor[nested]()) || isDirect(reflect.TypeFor[plain]()) {
		t.Fatal("isDirect is wrong about the test's own types")
	}
	if lookup(reflect.TypeFor[direct]()).enc == nil || lookup(reflect.TypeFor[directArr]()).enc != nil {
		t.Fatal("direct is left to encoding/json, or arrays are not: the test checks less than it says")
	}
}

func FuzzMatchesMarshal(f *testing.F) {
	f.Add("Widget <b>", int64(3), 19.99, true)
	f.Fuzz(func(t *testing.T, s string, n int64, x float64, ok bool) {
		p := plain{S: s, OS: s, I: int(n), I64: n, F64: x, F32: float32(x), Bo: ok, SS: []string{s, s}, Named: myString(s)}
		p.In.C = []inner{{A: int8(n), B: &s}}
		check(t, &p)
		check(t, p)
	})
}

// Types for FuzzMatchesMarshalShapes: what encoding/json does beyond the
// compiled shapes (methods, embedding rules, options, map keys), so the
// fallback decision is fuzzed too.
type mj struct{ V string }

func (m mj) MarshalJSON() ([]byte, error) {
	// encoding/json compacts and HTML-escapes what MarshalJSON returns,
	// and refuses invalid JSON.
	if m.V == "bad" {
		return []byte(`{`), nil
	}
	return json.Marshal(map[string]string{"mj": m.V, "pad": " <&> "})
}

type mt string

func (m mt) MarshalText() ([]byte, error) { return []byte("t:" + string(m)), nil }

type tk struct{ a, b int8 }

func (k tk) MarshalText() ([]byte, error) {
	return []byte(strconv.Itoa(int(k.a)) + "<" + strconv.Itoa(int(k.b))), nil
}

type EmbP struct {
	P1 string `json:"p1"`
	P2 int    `json:"p2,omitempty"`
}

type Emb2 struct {
	Z  int `json:"z,omitzero"`
	E1 string
}

type Emb3 struct {
	E1 string // clashes with Emb2.E1 at the same depth: both dropped
	E3 []int  `json:"e3,omitempty"`
}

type rich struct {
	*EmbP
	Emb2
	Emb3
	MJ   mj              `json:"mj"`
	PMJ  *mj             `json:"pmj,omitempty"`
	MT   mt              `json:"mt"`
	Keys map[tk]int      `json:"keys"`
	IK   map[int8]string `json:"ik,omitempty"`
	MTK  map[mt]bool     `json:"mtk,omitempty"`
	T    time.Time       `json:"t,omitzero"`
	F    float64         `json:"f"`
	F32  float32         `json:"f32,omitempty"`
	S    string          `json:"s,omitempty"`
	Q    int             `json:"q,string"`
	QS   string          `json:"qs,string"`
	Skip int             `json:"-"`
	Dash int             `json:"-,"` //lint:ignore SA5008 a field named "-"
	Any  any             `json:"any"`
	Arr  [2]string
	Raw  json.RawMessage `json:"raw,omitempty"`
	Euro string          `json:"price€"`
	Num  json.Number     `json:"num,omitempty"`
}

// node is a compiled recursive shape, nested as deep as the fuzzer asks.
type node struct {
	V    float64  `json:"v"`
	S    string   `json:"s,omitempty"`
	Next *node    `json:"next,omitempty"`
	Kids []node   `json:"kids,omitempty"`
	F32  *float32 `json:"f32,omitempty"`
}

// FuzzMatchesMarshalShapes: Append gives json.Marshal's bytes, or fails
// when it fails, for the shapes left to encoding/json (methods, embedded
// pointers, ,string, map keys with MarshalText, NaN and
// infinities, invalid JSON from MarshalJSON) and for deep compiled values.
func FuzzMatchesMarshalShapes(f *testing.F) {
	f.Add("Widget <b>", int64(3), 19.99, true, uint8(3), []byte(`{"a": [1, 2]}`))
	f.Add("\xff<>&\u2028", int64(-1), math.Inf(1), false, uint8(200), []byte(`{`))
	f.Add("bad", int64(0), math.NaN(), true, uint8(0), []byte(nil))
	f.Fuzz(func(t *testing.T, s string, n int64, x float64, ok bool, depth uint8, raw []byte) {
		r := rich{Emb2: Emb2{Z: int(n), E1: s}, Emb3: Emb3{E1: s}, MJ: mj{s}, MT: mt(s), F: x, F32: float32(x), S: s,
			Q: int(n), QS: s, Skip: 1, Dash: int(n), Arr: [2]string{s, s}, Euro: s, Num: json.Number(s),
			Keys: map[tk]int{{int8(n), 1}: 1, {2, int8(n >> 8)}: 2}, IK: map[int8]string{int8(n): s, -1: s}, MTK: map[mt]bool{mt(s): ok, "": !ok}}
		if ok {
			r.EmbP = &EmbP{P1: s, P2: int(n)}
			r.PMJ = &mj{s}
			r.Any = []any{s, x, n, map[string]any{s: ok}}
			r.T = time.Unix(n%1e10, 0).UTC()
		}
		if len(raw) > 0 {
			r.Raw = raw
		}
		check(t, &r)
		check(t, r)
		f32 := float32(x)
		var root *node
		for i := 0; i < int(depth); i++ {
			nd := &node{V: x * float64(i), S: s, Next: root}
			if i%7 == 0 {
				// (a leaf: a copy of root would double the tree every time)
				nd.Kids = []node{{V: x, S: s, F32: &f32}, {}}
				nd.F32 = &f32
			}
			root = nd
		}
		check(t, root)
		if root != nil {
			check(t, *root)
		}
	})
}

type cyc struct {
	V    int
	Next *cyc
	Kids []cyc
}

type cycSlice []cycSlice

// TestCyclesFailAsMarshal: a value that holds itself fails with
// json.Marshal's error instead of recursing until the stack overflows (a
// fatal error, not a panic); a deep value without a cycle still encodes.
func TestCyclesFailAsMarshal(t *testing.T) {
	c := &cyc{V: 1}
	c.Next = c
	check(t, c)
	k := &cyc{V: 2, Kids: []cyc{{V: 3}}}
	k.Kids[0].Next = k
	check(t, k)
	s := cycSlice{nil}
	s[0] = s
	check(t, s)
	var deep *cyc
	for i := 0; i < 3000; i++ {
		deep = &cyc{V: i, Next: deep}
	}
	check(t, deep)
	if _, err := Append(nil, c); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle: %v", err)
	}
	if lookup(reflect.TypeFor[*cyc]()).enc == nil {
		t.Fatal("cyc is left to encoding/json: the test checks nothing of the compiled encoder")
	}
}
