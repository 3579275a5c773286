package binding

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The planned decoder against encoding/json.Unmarshal, the oracle: for
// every body the scan accepts (no syntax error, no value of the wrong type
// or range), both succeed or both fail, and on success they fill equal
// values (reflect.DeepEqual).

type fdName string

type fdInner struct {
	A int8    `json:"a"`
	B *string `json:"b"`
	C []fdInner
}

type fdEmbedded struct {
	E1 string
	E2 uint16 `json:"e2"`
}

type fdQuoted struct {
	Q int    `json:"q,string"`
	R string `json:"r,omitempty,string"`
}

type fdKitchen struct {
	fdEmbedded
	S     string             `json:"s"`
	NS    fdName             `json:"ns"`
	Bo    bool               `json:"bo"`
	I     int                `json:"i"`
	I8    int8               `json:"i8"`
	I16   int16              `json:"i16"`
	I32   int32              `json:"i32"`
	I64   int64              `json:"i64"`
	U     uint               `json:"u"`
	U8    uint8              `json:"u8"`
	U16   uint16             `json:"u16"`
	U32   uint32             `json:"u32"`
	U64   uint64             `json:"u64"`
	F32   float32            `json:"f32"`
	F64   float64            `json:"f64"`
	PI    *int               `json:"pi"`
	PS    *string            `json:"ps"`
	PPI   **int              `json:"ppi"`
	In    fdInner            `json:"in"`
	PIn   *fdInner           `json:"pin"`
	Sl    []int              `json:"sl"`
	SS    []fdInner          `json:"ss"`
	SP    []*string          `json:"sp"`
	M     map[string]int     `json:"m"`
	MN    map[fdName]any     `json:"mn"`
	MS    map[string]fdInner `json:"ms"`
	MI    map[int]string     `json:"mi"`
	Raw   json.RawMessage    `json:"raw"`
	T     time.Time          `json:"t"`
	PT    *time.Time         `json:"pt"`
	D     time.Duration      `json:"d"`
	Any   any                `json:"any"`
	Anys  []any              `json:"anys"`
	Addr  netip.Addr         `json:"addr"`
	PAddr *netip.Addr        `json:"paddr"`
	Bytes []byte             `json:"bytes"`
	Arr   [2]int             `json:"arr"`
	Skip  string             `json:"-"`
	//lint:ignore SA5008 a field named "-" is what this case tests
	Dash      string              `json:"-,"`
	Quoted    fdQuoted            `json:"quoted"`
	MixedCase string              `json:"MixedCase"`
	NoTag     float64             //
	MPtr      map[string]*float32 `json:"mptr"`
	Num       json.Number         `json:"num"`
	Nums      []json.Number       `json:"nums"`
	//lint:ignore U1000 encoding/json and the plan must both ignore it
	unexported int
}

// fdOddTag has a tag name encoding/json refuses (it uses the Go name).
type fdOddTag struct {
	Price float64 `json:"price€"`
	Name  string  `json:"name"`
}

// fdTargets are the target types of the differential test.
var fdTargets = []reflect.Type{
	reflect.TypeFor[diffItem](),
	reflect.TypeFor[fdKitchen](),
	reflect.TypeFor[fdInner](),
	reflect.TypeFor[[]fdInner](),
	reflect.TypeFor[map[string]any](),
	reflect.TypeFor[any](),
	reflect.TypeFor[*int](),
	reflect.TypeFor[string](),
	reflect.TypeFor[[]*float64](),
	reflect.TypeFor[fdOddTag](),
	reflect.TypeFor[edgeQuoted](),
	reflect.TypeFor[fdDeep](),
	reflect.TypeFor[fdMore](),
}

type fdLabel string

type fdHiddenEmb struct {
	H1 int    `json:"h1"`
	H2 string `json:"h2,omitempty"`
}

// fdMore holds the shapes that reach encoding/json or embedding rules.
type fdMore struct {
	fdHiddenEmb
	//lint:ignore U1000 an unexported embedded non-struct: both decoders ignore it
	fdLabel
	MI   map[int8]string     `json:"mi"`
	MU   map[uint16]bool     `json:"mu"`
	MA   map[netip.Addr]int  `json:"ma"`
	BA   [3]byte             `json:"ba"`
	RS   []json.RawMessage   `json:"rs"`
	PR   *json.RawMessage    `json:"pr"`
	UP   uintptr             `json:"up"`
	PN   *json.Number        `json:"pn"`
	St   fmt.Stringer        `json:"st"`
	AP   any                 `json:"ap"`
	Emb2 struct{ X, x int }  `json:"emb2"` //lint:ignore U1000 x is unexported on purpose
	PMap *map[string]fdLabel `json:"pmap"`
}

// fdDeep nests as deep as a body goes.
type fdDeep struct {
	V    int                `json:"v"`
	Next *fdDeep            `json:"next"`
	Kids []fdDeep           `json:"kids"`
	M    map[string]*fdDeep `json:"m"`
}

// fdCheck runs one body against one target type. It reports whether the
// scan accepted the body (then the decoders' results are compared). A
// body the scan refuses must be one encoding/json refuses too, or one
// Covet refuses on purpose (fdPolicy).
func fdCheck(t testing.TB, data []byte, typ reflect.Type) bool {
	t.Helper()
	tp, err := BodyPlan(typ)
	if err != nil {
		t.Fatal(err)
	}
	vs := NewState()
	sc := jsonScanner{data: data, maxDepth: DefaultMaxJSONDepth, vs: vs}
	scanned := sc.scan(tp)
	want := reflect.New(typ)
	wantErr := json.Unmarshal(data, want.Interface())
	if !scanned || sc.blocking > 0 {
		if wantErr == nil {
			if why := fdPolicy(data, &sc); why != "" {
				t.Fatalf("%s: %q\nthe scan refuses it (%s), encoding/json takes it: %#v", typ, data, why, want.Elem().Interface())
			}
		}
		return false
	}
	got := reflect.New(typ)
	gotErr := decodePlanned(data, tp, got.UnsafePointer())
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%s: %q\nplanned decoder: %v\nencoding/json:   %v", typ, data, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got.Interface(), want.Interface()) {
		t.Fatalf("%s: %q\nplanned decoder: %#v\nencoding/json:   %#v", typ, data, got.Elem().Interface(), want.Elem().Interface())
	}
	return true
}

// fdPolicy checks the reasons the scan gave for refusing a body that
// encoding/json decodes: "" when each is one of Covet's deliberate
// differences (null for a field that is not a pointer, an array of
// numbers for a []byte (the schema says a base64 string), a NUL character,
// a key repeated — exactly or case-insensitively, after encoding/json's
// decoding of the keys —, nesting deeper than the limit), else the
// reasons that are not.
func fdPolicy(data []byte, sc *jsonScanner) string {
	if sc.err != nil {
		switch {
		case strings.HasPrefix(sc.err.msg, "duplicate key"):
			if !fdHasDupKeys(data) {
				return sc.err.Error() + ", but encoding/json sees no repeated key"
			}
			return ""
		case strings.HasPrefix(sc.err.msg, "nesting deeper"):
			return ""
		}
		return sc.err.Error()
	}
	var bad []string
	for _, fe := range sc.vs.errs {
		switch fe.Message {
		case "must not be null", errNUL.Error(), "is required", "is not a known field",
			"must be a base64 string": // encoding/json takes an array of numbers too
			continue
		}
		// A Go array given a JSON array of another length (encoding/json
		// drops or zero-fills items): checked against the body itself, so a
		// refusal of the right length is not excused.
		if want, ok := strings.CutPrefix(fe.Message, "must have exactly "); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(want, " items"))
			if a, isArr := fdValueAt(data, fe.Pointer).([]any); err == nil && isArr && len(a) != n {
				continue
			}
		}
		// A time that is not RFC 3339 to the letter (time.Parse, behind
		// encoding/json, also takes a one-digit hour: "T0:00:00Z").
		if fe.Message == "must be an RFC 3339 date-time" {
			if v, isStr := fdValueAt(data, fe.Pointer).(string); isStr && !fdRFC3339.MatchString(v) {
				continue
			}
		}
		bad = append(bad, fe.Pointer+" "+fe.Message)
	}
	return strings.Join(bad, "; ")
}

// fdRFC3339 is RFC 3339's date-time production (section 5.6).
var fdRFC3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$`)

// fdValueAt follows a JSON pointer through a JSON text, matching object
// keys as encoding/json matches field names (case-insensitively, an exact
// match first), and returns the value it names (nil if none).
func fdValueAt(data []byte, pointer string) any {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	if pointer == "" {
		return v
	}
	for _, seg := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			next, found := x[seg]
			if !found {
				for k, kv := range x {
					if strings.EqualFold(k, seg) {
						next, found = kv, true
						break
					}
				}
			}
			if !found {
				return nil
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// fdHasDupKeys reports whether an object of a JSON text has two keys equal
// under case folding, as encoding/json decodes the keys.
func fdHasDupKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj    bool
		keys   []string
		expect bool // next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.expect {
			if k, ok := tok.(string); ok {
				for _, o := range top.keys {
					if strings.EqualFold(o, k) {
						return true
					}
				}
				top.keys = append(top.keys, k)
				top.expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// a value ended: the next token of the enclosing object is a key
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].expect = true
		}
	}
}

var fdSeeds = []string{
	`{"name":"Widget Pro","description":"A very useful widget","email":"buyer@example.com","quantity":3,"price":19.99,"active":true,"kind":"book","address":{"city":"Springfield","zip":"12345"},"tags":["a","b"],"sku":"WID-001"}`,
	` { "NAME" : "x" , "Tags" : [ ] , "ADDRESS":{"CITY":"\u00e9\ud83d\ude00\ud800x\udc00"}} `,
	`{"tags":null}`,
	`{"s":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud834\udd1e","ns":"\ud834","bo":false}`,
	"{\"s\":\"\xff\xfe bad \xc3\x28 utf8 \xed\xa0\x80\",\"ns\":\"ok \xe2\x82\"}",
	`{"i":-9223372036854775808,"i8":-128,"i16":32767,"i32":-2147483648,"i64":9223372036854775807,"u":18446744073709551615,"u8":255,"u16":65535,"u32":4294967295,"u64":0}`,
	`{"i":-0,"f32":3.4028234e38,"f64":-1.7976931348623157e308,"pi":null,"ps":"p","ppi":7}`,
	`{"f32":1e-50,"f64":5e-324,"d":1500000000}`,
	`{"in":{"a":1,"b":null,"C":[{"a":2,"b":"x"},{}]},"pin":{"a":-3},"sl":[1,2,3],"ss":[],"sp":[null,"s"]}`,
	`{"m":{"a":1,"b":2,"":3},"mn":{"k":[1,"2",{"x":null}],"K":true},"ms":{"x":{"a":5}},"mi":{"1":"one","-2":"minus"}}`,
	`{"raw":{"any": [1, 2]},"t":"2024-02-29T12:34:56.789+01:00","pt":"2024-01-01T00:00:00Z","any":{"a":[1.5,true,null,"s"]},"anys":[{},[],0,-0.0,1e3]}`,
	`{"addr":"192.0.2.1","paddr":"::1","bytes":"aGVsbG8=","arr":[1,2]}`,
	`{"addr":"not an ip"}`,
	`{"bytes":"!!!"}`,
	`{"arr":[1,2,3]}`,
	`{"arr":[1]}`,
	`{"Skip":"x","-":"dash","quoted":{"q":"12","r":"\"s\""}}`,
	`{"quoted":{"q":12}}`,
	`{"quoted":{"r":"plain"}}`,
	`{"mixedcase":"a","notag":1.25,"NoTag":2,"E1":"e","e2":9,"mptr":{"a":null,"b":1.5}}`,
	`{"e1":"lower","E2":1,"unexported":5}`,
	`{"t":"2024-13-01T00:00:00Z"}`,
	`{"t":"2024-01-01T00:00:00\u005a"}`,
	`{"mi":{"x":"not an int key"}}`,
	`{"mi":{"99999999999999999999":"overflow"}}`,
	`{"raw":null,"any":null,"pin":null,"mn":null}`,
	`{"unknown":{"deep":[1,{"x":"\"]}"}]},"s":"after"}`,
	`[{"a":1},{"a":2,"C":[{"a":3}]}]`,
	`"just a string \u0000"`,
	`null`, `42`, `[1.5,null,2e2]`, `{}`, `[]`, `{"a":{"b":{"c":{}}}}`,
	`{"Kelvin":1,"\u212aind":"book","ſku":"WID"}`,
	`{"price€":1.5,"Price":2.5,"name":"n"}`,
	`{"h1":1,"H2":"x","fdLabel":"l","mi":{"-1":"a","01":"b","1":"c"},"mu":{"65535":true},"ma":{"::1":1,"1.2.3.4":2},"ba":[1,2,3,4],"rs":[{},1,"x"],"pr":[1],"up":5,"pn":"7","ap":{"a":[]},"emb2":{"X":1,"x":2},"pmap":{"a":"b"}}`,
	`{"mi":{"300":"x"}}`, `{"ma":{"nope":1}}`, `{"st":null}`, `{"st":{}}`, `{"ba":[256]}`, `{"up":-1}`, `{"pn":null,"pr":null,"pmap":null}`,
	`{"num":12,"nums":[1.5,"2",null,-0]}`, `{"num":"1e3"}`, `{"num":"x"}`, `{"num":null}`, `{"num":true}`, `{"nums":["01"]}`,
}

func TestFusedDecodeMatchesStdJSON(t *testing.T) {
	accepted := 0
	for _, s := range fdSeeds {
		for _, typ := range fdTargets {
			if fdCheck(t, []byte(s), typ) {
				accepted++
			}
		}
	}
	t.Logf("%d seed checks passed the scan", accepted)
	if accepted < 40 {
		t.Fatalf("only %d of the seed checks passed the scan: the test checks too little", accepted)
	}
	// Bodies generated from the types, with random case, whitespace,
	// escapes, unknown keys and nulls.
	rng := rand.New(rand.NewPCG(1, 2))
	accepted = 0
	const n = 3000
	for i := 0; i < n; i++ {
		typ := fdTargets[i%len(fdTargets)]
		tp, err := BodyPlan(typ)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		genJSON(rng, &b, tp, 0)
		if fdCheck(t, []byte(b.String()), typ) {
			accepted++
		}
	}
	t.Logf("%d of %d generated bodies passed the scan", accepted, n)
	if accepted < n/4 {
		t.Fatalf("only %d of %d generated bodies passed the scan", accepted, n)
	}
}

func FuzzFusedDecode(f *testing.F) {
	for _, s := range fdSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(strings.Repeat(`{"next":`, 130) + "null" + strings.Repeat("}", 130)))
	f.Add([]byte(strings.Repeat("[", 129) + strings.Repeat("]", 129)))
	f.Add([]byte("{\"m\":{\"a\xff\":{},\"a\xfe\":null},\"kids\":[{\"v\":1e2}]}"))
	f.Add([]byte(`{"q":"12","u":"255","f":"1.5e3","b":"true","s":"\"x\"","p":"7","sl":[1,2],"n":{"v":"11"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range fdTargets {
			fdCheck(t, data, typ)
			// The whole path a typed handler runs (scan, decode,
			// defaults, validation) must not panic, strict or not.
			tp, _ := BodyPlan(typ)
			for _, strict := range []bool{false, true} {
				vs := NewState()
				err := DecodeJSON(nil, data, tp, reflect.New(typ).Interface(), vs, Options{Strict: strict, MaxDepth: 64})
				if e, ok := err.(*Error); err != nil && (!ok || e.Status != 400) {
					t.Fatalf("%s: %q: DecodeJSON failed with %v, want a 400 or field errors", typ, data, err)
				}
			}
		}
	})
}

var fdStrings = []string{"", "a", "Widget", `q\"uote`, `back\\slash`, `\u00e9`, `\ud83d\ude00`, `\ud800`, `\udc00\ud800`, "\xff", "é", `\/\b\f\n\r\t`, "2024-02-29T12:34:56Z", "192.0.2.1", "aGk="}

func genWS(rng *rand.Rand, b *strings.Builder) {
	if rng.IntN(4) == 0 {
		b.WriteString([]string{" ", "\n", "\t ", "\r\n"}[rng.IntN(4)])
	}
}

func genString(rng *rand.Rand, b *strings.Builder) {
	b.WriteByte('"')
	for k := rng.IntN(3); k >= 0; k-- {
		b.WriteString(fdStrings[rng.IntN(len(fdStrings))])
	}
	b.WriteByte('"')
}

func genNumber(rng *rand.Rand, b *strings.Builder, tp *TypePlan) {
	switch tp.Kind {
	case KindInt, KindDuration:
		lim := int64(1)<<(tp.Bits-1) - 1
		switch rng.IntN(4) {
		case 0:
			b.WriteString(strconv.FormatInt(lim, 10))
		case 1:
			b.WriteString(strconv.FormatInt(-lim-1, 10))
		default:
			b.WriteString(strconv.FormatInt(rng.Int64N(200)-100, 10))
		}
	case KindUint:
		if rng.IntN(3) == 0 {
			b.WriteString(strconv.FormatUint(uint64(1)<<(tp.Bits-1)*2-1, 10))
		} else {
			b.WriteString(strconv.Itoa(rng.IntN(300)))
		}
	default:
		b.WriteString([]string{"0", "-0", "1.5", "1e3", "-2.5E-3", "123456789.123456789", "3.4e38", "1e-40", "7"}[rng.IntN(9)])
	}
}

func genKey(rng *rand.Rand, b *strings.Builder, name string) {
	switch rng.IntN(6) {
	case 0:
		name = strings.ToUpper(name)
	case 1:
		name = strings.ToLower(name)
	}
	if rng.IntN(16) == 0 {
		name += []string{"\xff", "\xc3", "\ufffd", "\u212a"}[rng.IntN(4)] // invalid UTF-8, U+FFFD, the Kelvin sign
	}
	if rng.IntN(8) == 0 && name != "" {
		// the first letter as a \u escape
		b.WriteString(`"\u00` + strconv.FormatInt(int64(name[0]), 16) + name[1:] + `"`)
	} else {
		b.WriteString(`"` + name + `"`) // names have no quote, backslash or control character
	}
	genWS(rng, b)
	b.WriteByte(':')
	genWS(rng, b)
}

// genJSON writes a value for tp: mostly of the right type, sometimes null
// or another type, so that the scan's gate is crossed both ways.
func genJSON(rng *rand.Rand, b *strings.Builder, tp *TypePlan, depth int) {
	genWS(rng, b)
	if rng.IntN(12) == 0 {
		b.WriteString("null")
		return
	}
	if depth > 6 {
		b.WriteString("1")
		return
	}
	switch tp.Kind {
	case KindPtr:
		genJSON(rng, b, tp.Elem, depth)
	case KindString, KindText, KindTime, KindBytes:
		genString(rng, b)
	case KindBool:
		b.WriteString([]string{"true", "false"}[rng.IntN(2)])
	case KindInt, KindUint, KindFloat, KindDuration:
		genNumber(rng, b, tp)
	case KindStruct:
		b.WriteByte('{')
		n := 0
		for _, f := range tp.Fields {
			if rng.IntN(3) == 0 {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			genKey(rng, b, f.Name)
			if f.quoted != nil && rng.IntN(4) != 0 {
				// a `,string` field: its JSON inside a string
				var in strings.Builder
				genJSON(rng, &in, f.T, depth+1)
				q, _ := json.Marshal(strings.TrimSpace(in.String()))
				b.Write(q)
				continue
			}
			genJSON(rng, b, f.T, depth+1)
		}
		if rng.IntN(4) == 0 {
			if n > 0 {
				b.WriteByte(',')
			}
			genKey(rng, b, "zzUnknown")
			genJSON(rng, b, &anyPlan, depth+1)
		}
		b.WriteByte('}')
	case KindSlice, KindArray:
		b.WriteByte('[')
		for i := rng.IntN(4); i > 0; i-- {
			genJSON(rng, b, tp.Elem, depth+1)
			if i > 1 {
				b.WriteByte(',')
			}
		}
		b.WriteByte(']')
	case KindMap:
		b.WriteByte('{')
		for i := rng.IntN(4); i > 0; i-- {
			key := fmt.Sprint(rng.IntN(50) - 10)
			if tp.T.Key().Kind() == reflect.String && rng.IntN(2) == 0 {
				key = "k" + key
			}
			genKey(rng, b, key)
			genJSON(rng, b, tp.Elem, depth+1)
			if i > 1 {
				b.WriteByte(',')
			}
		}
		b.WriteByte('}')
	default: // any, raw JSON
		switch rng.IntN(5) {
		case 0:
			genJSON(rng, b, &anyMapPlan, depth+1)
		case 1:
			genJSON(rng, b, &anySlicePlan, depth+1)
		case 2:
			genString(rng, b)
		case 3:
			genNumber(rng, b, &anyNumberPlan)
		default:
			b.WriteString("true")
		}
	}
	genWS(rng, b)
}

// skipPlainASCII stops where skipPlain stops and reports ASCII exactly.
func TestSkipPlainASCII(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte{'a', 'Z', '"', '\\', 0x1f, 0x80, 0xc3, 0xa9, 0xff, ' '}
	for n := 0; n < 20000; n++ {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(5) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = 'a' + byte(rng.IntN(26))
			}
		}
		start := rng.IntN(len(b) + 1)
		want := skipPlain(b, start)
		wantASCII := true
		for _, c := range b[start:want] {
			if c >= 0x80 {
				wantASCII = false
			}
		}
		got, ascii := skipPlainASCII(b, start)
		if got != want || ascii != wantASCII {
			t.Fatalf("%q from %d: got %d %v, want %d %v", b, start, got, ascii, want, wantASCII)
		}
	}
}
