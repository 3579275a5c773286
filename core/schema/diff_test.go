package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/covetgo/covet/core/internal/binding"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// The differential test: Covet's validator (scan + decode + compiled
// checks) and a reference JSON Schema validator (santhosh-tekuri/jsonschema,
// formats asserted) judge the same documents against the schema Covet
// publishes for a type, and must agree. Deliberate differences, documented
// in the README, are recognized by documentedDifference and left out:
//   - keys matching a field only case-insensitively (Covet decodes them, as
//     encoding/json does) and duplicate keys (Covet answers 400);
//   - integers written with a fraction or exponent (1.0, 1e2): Covet wants
//     integer literals for integer fields;
//   - numbers too large for the Go type where the schema cannot say so
//     (beyond int64 or float64);
//   - an email with an empty local part ("@example.com"), which Covet refuses.

type diffAddress struct {
	City string `json:"city" minLength:"1" maxLength:"64"`
	Zip  string `json:"zip" pattern:"^[0-9]{5}$"`
}

// diffItem is the benchmark's body type.
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

type diffLine struct {
	SKU   string `json:"sku" minLength:"3"`
	Count int8   `json:"count" multipleOf:"2"`
}

// oracle compiles the schema Covet publishes for t.
func oracle(t testing.TB, typ reflect.Type) *jsonschema.Schema {
	reg := NewRegistry("#/$defs/")
	s, err := reg.Schema(typ)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	defs := map[string]any{}
	for name, cs := range reg.Components() {
		cb, _ := json.Marshal(cs)
		var v any
		_ = json.Unmarshal(cb, &v)
		defs[name] = v
	}
	doc["$defs"] = defs
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("covet.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("covet.json")
	if err != nil {
		t.Fatalf("compiling %s: %v", b, err)
	}
	return sch
}

// oracleVerdict returns the reference validator's failing locations (JSON
// pointers; a missing property is reported at the property).
func oracleVerdict(sch *jsonschema.Schema, data []byte) (bool, []string) {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return false, nil
	}
	err = sch.Validate(inst)
	if err == nil {
		return true, nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return false, nil
	}
	var locs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		base := ""
		for _, p := range e.InstanceLocation {
			base += "/" + p
		}
		if r, ok := e.ErrorKind.(*kind.Required); ok {
			for _, m := range r.Missing {
				locs = append(locs, base+"/"+m)
			}
			return
		}
		locs = append(locs, base)
	}
	walk(ve)
	return false, locs
}

// covetVerdict decodes and validates data into a new value of typ.
func covetVerdict(typ reflect.Type, data []byte) (ok bool, errs []binding.FieldError, syntax bool) {
	tp, err := binding.BodyPlan(typ)
	if err != nil {
		panic(err)
	}
	vs := binding.NewState()
	p := reflect.New(typ)
	// nil: the plan-driven decoder, what an app with the default codec uses
	if err := binding.DecodeJSON(nil, data, tp, p.Interface(), vs, binding.Options{}); err != nil {
		return false, nil, true
	}
	return len(vs.Errs()) == 0, vs.Errs(), false
}

// documentedDifference reports whether a disagreement is one the README
// documents.
func documentedDifference(tp *binding.TypePlan, data []byte, errs []binding.FieldError, syntax bool) bool {
	if syntax && bytes.Contains(data, []byte(`"`)) {
		return true // duplicate keys (the oracle's decoder keeps the last)
	}
	if hasFoldedKey(tp, data) {
		return true
	}
	if uniqueByBoundValue(tp, data, errs) {
		return true
	}
	for _, e := range errs {
		switch {
		case strings.HasPrefix(e.Message, "is out of range"):
		case e.Message == "must be an integer":
		case e.Message == "must be a valid email address" && fmt.Sprint(e.Value) != "" && strings.HasPrefix(fmt.Sprint(e.Value), "@"):
		case strings.HasPrefix(e.Message, "could not be decoded"):
		default:
			continue
		}
		return true
	}
	return false
}

// uniqueByBoundValue reports whether Covet refused an array as holding
// duplicate items while its JSON items carry keys the element type has no
// field for. uniqueItems compares the bound values, which such keys do not
// reach (the reference compares the JSON, where they make items differ):
// found by FuzzDifferentialBody, seed 23488a3691334d5d.
func uniqueByBoundValue(tp *binding.TypePlan, data []byte, errs []binding.FieldError) bool {
	var doc any
	if json.Unmarshal(data, &doc) != nil {
		return false
	}
	for _, e := range errs {
		if e.Message != "must not contain duplicate items" {
			continue
		}
		// Follow the pointer through the document and the plan.
		v, p := doc, binding.DerefPlan(tp)
		for _, tok := range strings.Split(strings.TrimPrefix(e.Pointer, "/"), "/") {
			if tok == "" || p == nil {
				break
			}
			switch x := v.(type) {
			case map[string]any:
				if p.Kind != binding.KindStruct {
					return false
				}
				f, _ := binding.Lookup(p, tok)
				if f == nil {
					return false
				}
				v, p = x[tok], binding.DerefPlan(f.T)
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(x) || p.Elem == nil {
					return false
				}
				v, p = x[i], binding.DerefPlan(p.Elem)
			default:
				return false
			}
		}
		arr, ok := v.([]any)
		if !ok || p == nil || p.Elem == nil {
			continue
		}
		elem := binding.DerefPlan(p.Elem)
		if elem.Kind != binding.KindStruct {
			continue
		}
		for _, it := range arr {
			obj, ok := it.(map[string]any)
			if !ok {
				continue
			}
			for k := range obj {
				if f, _ := binding.Lookup(elem, k); f == nil {
					return true
				}
			}
		}
	}
	return false
}

// hasFoldedKey reports whether an object key matches a field only
// case-insensitively, anywhere in the document.
func hasFoldedKey(tp *binding.TypePlan, data []byte) bool {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return false
	}
	var walk func(tp *binding.TypePlan, v any) bool
	walk = func(tp *binding.TypePlan, v any) bool {
		tp = binding.DerefPlan(tp)
		switch x := v.(type) {
		case map[string]any:
			if tp.Kind != binding.KindStruct {
				return false
			}
			for k, val := range x {
				f, _ := binding.Lookup(tp, k)
				if f == nil {
					continue
				}
				if f.Name != k {
					return true
				}
				if walk(f.T, val) {
					return true
				}
			}
		case []any:
			if tp.Kind != binding.KindSlice && tp.Kind != binding.KindArray {
				return false
			}
			for _, e := range x {
				if walk(tp.Elem, e) {
					return true
				}
			}
		}
		return false
	}
	return walk(tp, v)
}

// compare runs both validators on data; it reports a disagreement as an error.
func compare(typ reflect.Type, sch *jsonschema.Schema, data []byte) error {
	if !json.Valid(data) {
		return nil
	}
	want, wantLocs := oracleVerdict(sch, data)
	got, errs, syntax := covetVerdict(typ, data)
	tp, _ := binding.BodyPlan(typ)
	if want != got {
		if documentedDifference(tp, data, errs, syntax) {
			return nil
		}
		return fmt.Errorf("verdicts differ on %s: reference valid=%v %v, covet valid=%v %v (syntax=%v)", data, want, wantLocs, got, errs, syntax)
	}
	if got || documentedDifference(tp, data, errs, syntax) {
		return nil
	}
	// Every location Covet reports must be one the reference reports.
	set := map[string]bool{}
	for _, l := range wantLocs {
		set[l] = true
	}
	for _, e := range errs {
		if !set[e.Pointer] {
			return fmt.Errorf("covet reports %s (%s) on %s; the reference reports %v", e.Pointer, e.Message, data, wantLocs)
		}
	}
	return nil
}

// --- random documents, guided by a plan ---

type docGen struct {
	r *rand.Rand
	// clean documents break few rules; noisy ones many.
	clean bool
}

func (g *docGen) chance(n int) bool { return g.r.IntN(n) == 0 }

// bad decides whether to break a rule: rarely in clean documents.
func (g *docGen) bad(n int) bool {
	if g.clean {
		return g.r.IntN(n*40) == 0
	}
	return g.r.IntN(n) == 0
}

func (g *docGen) str(minL, maxL int) string {
	if maxL < 0 {
		maxL = minL + 8
	}
	n := minL
	if maxL > minL {
		n = minL + g.r.IntN(maxL-minL+1)
	}
	if g.bad(3) {
		if g.chance(2) {
			n = max(0, minL-1)
		} else {
			n = maxL + 1
		}
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		if g.chance(10) {
			b.WriteRune('é')
		} else {
			b.WriteByte(byte('a' + g.r.IntN(26)))
		}
	}
	return b.String()
}

var emails = []string{"a@example.com", "first.last@sub.example.org", "not-an-email", "a@", "@example.com", "a..b@example.com",
	"x@[127.0.0.1]", "x@[IPv6:::1]", "\"quoted\"@example.com", "a@-bad.com", "ab@c", "é@example.com"}

func (g *docGen) value(tp *binding.TypePlan, r *binding.Rules, depth int) any {
	if g.bad(25) {
		// a wrong type, or null
		return []any{nil, "x", 1.5, true, []any{}, map[string]any{}}[g.r.IntN(6)]
	}
	switch tp.Kind {
	case binding.KindPtr:
		if g.chance(4) {
			return nil
		}
		return g.value(tp.Elem, r, depth)
	case binding.KindString:
		if r != nil && r.EnumStr != nil && !g.bad(4) {
			return r.EnumStr[g.r.IntN(len(r.EnumStr))]
		}
		if r != nil && r.Format == "email" && (g.clean || g.chance(2)) {
			if g.clean && !g.bad(2) {
				return emails[g.r.IntN(2)]
			}
			return emails[g.r.IntN(len(emails))]
		}
		if r != nil && r.Pattern != "" && (g.clean || g.chance(2)) {
			if g.bad(2) {
				return fmt.Sprintf("%05d", g.r.IntN(200000))
			}
			return fmt.Sprintf("%05d", g.r.IntN(100000))
		}
		minL, maxL := 0, -1
		if r != nil {
			minL, maxL = max(r.MinLen, 0), r.MaxLen
		}
		return g.str(minL, maxL)
	case binding.KindInt, binding.KindUint:
		lo, hi := -50.0, 2000.0
		if r != nil && r.HasMin {
			lo = r.Min - 3
		}
		if r != nil && r.HasMax {
			hi = r.Max + 3
		}
		if tp.Kind == binding.KindUint && g.chance(3) {
			lo = -2
		}
		if !g.bad(2) {
			if r != nil && r.HasMin {
				lo = r.Min
			}
			if r != nil && r.HasMax {
				hi = r.Max
			}
		}
		if g.bad(10) {
			return float64(int64(lo)) + 0.5
		}
		if g.bad(12) {
			return []int64{127, 128, -129, 255, 256, 32768, 65536, 1 << 31, -(1 << 31) - 1, 1 << 40}[g.r.IntN(10)]
		}
		return int64(lo) + g.r.Int64N(int64(hi-lo)+1)
	case binding.KindFloat:
		lo, hi := -10.0, 1000.0
		if r != nil && r.HasMin {
			lo = r.Min - 1
		}
		if r != nil && r.HasMax {
			hi = r.Max + 1
		}
		if r != nil && r.HasExMin {
			lo = r.ExMin - 0.5
		}
		if r != nil && r.HasExMax {
			hi = r.ExMax + 0.5
		}
		if !g.bad(2) {
			if r != nil && r.HasMin {
				lo = r.Min
			}
			if r != nil && r.HasMax {
				hi = r.Max
			}
			if r != nil && r.HasExMin {
				lo = r.ExMin + 1e-9
			}
			if r != nil && r.HasExMax {
				hi = r.ExMax - 1e-9
			}
		}
		if g.chance(6) {
			return math.Round(lo + g.r.Float64()*(hi-lo))
		}
		return lo + g.r.Float64()*(hi-lo)
	case binding.KindBool:
		return g.chance(2)
	case binding.KindSlice:
		n := g.r.IntN(4)
		if r != nil && r.MaxItems >= 0 && (g.bad(3) || n > r.MaxItems) {
			n = r.MaxItems + g.r.IntN(2)
		}
		if r != nil && r.MinItems > 0 && (g.bad(3) || n < r.MinItems) {
			n = r.MinItems - 1 + g.r.IntN(2)
		}
		var items *binding.Rules
		if r != nil {
			items = r.Items
		}
		out := make([]any, n)
		for i := range out {
			if i > 0 && g.bad(5) {
				out[i] = out[i-1] // duplicates for uniqueItems
				continue
			}
			out[i] = g.value(tp.Elem, items, depth+1)
		}
		return out
	case binding.KindStruct:
		return g.object(tp, depth)
	case binding.KindMap:
		m := map[string]any{}
		for i := g.r.IntN(3); i > 0; i-- {
			m[fmt.Sprint("k", i)] = g.value(tp.Elem, nil, depth+1)
		}
		return m
	}
	return nil
}

func (g *docGen) object(tp *binding.TypePlan, depth int) map[string]any {
	m := map[string]any{}
	for _, f := range tp.Fields {
		if g.bad(12) || !f.Required && g.chance(3) {
			continue // missing
		}
		m[f.Name] = g.value(f.T, f.Rules, depth+1)
	}
	if g.chance(8) {
		m["zz_extra"] = 1 // unknown fields are allowed
	}
	return m
}

func (g *docGen) doc(tp *binding.TypePlan) []byte {
	g.clean = g.chance(2)
	var v any = g.object(tp, 0)
	if g.bad(50) {
		v = []any{1}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestDifferentialBenchmarkType(t *testing.T) {
	typ := reflect.TypeFor[diffItem]()
	sch := oracle(t, typ)
	tp, _ := binding.BodyPlan(typ)
	g := &docGen{r: rand.New(rand.NewPCG(1, 2))}
	n, valid := 3000, 0
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		data := g.doc(tp)
		if err := compare(typ, sch, data); err != nil {
			t.Fatal(err)
		}
		if ok, _ := oracleVerdict(sch, data); ok {
			valid++
		}
	}
	// The generator must exercise both verdicts, or the test proves little.
	if valid < n/50 || valid > n-n/50 {
		t.Fatalf("%d of %d documents valid: the generator is unbalanced", valid, n)
	}
	t.Logf("%d documents, %d valid", n, valid)
}

func FuzzDifferentialBody(f *testing.F) {
	f.Add([]byte(`{"name":"Widget","email":"a@example.com","quantity":3,"price":2.5,"active":true,"kind":"book","address":{"city":"X","zip":"12345"},"tags":[],"sku":"abc"}`))
	f.Add([]byte(`{"name":"W","email":"nope","quantity":5000,"price":-1,"active":1,"kind":"toy","address":{},"tags":null,"sku":"ab","lines":[{"sku":"a","count":3},{"sku":"a","count":3}]}`))
	f.Add([]byte(`{"discount":1,"lines":[],"address":{"city":"","zip":"1234a"}}`))
	typ := reflect.TypeFor[diffItem]()
	sch := oracle(f, typ)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := compare(typ, sch, data); err != nil {
			t.Fatal(err)
		}
	})
}

// --- random types ---

// randomType builds a struct type with random fields and constraints
// (through reflect.StructOf), as a user could declare.
func randomType(r *rand.Rand, depth int) reflect.Type {
	n := 1 + r.IntN(5)
	var fields []reflect.StructField
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("F%d", i)
		ft, tags := randomField(r, depth)
		tag := fmt.Sprintf(`json:"f%d%s"`, i, []string{"", "", ",omitempty"}[r.IntN(3)])
		if tags != "" {
			tag += " " + tags
		}
		fields = append(fields, reflect.StructField{Name: name, Type: ft, Tag: reflect.StructTag(tag)})
	}
	return reflect.StructOf(fields)
}

func randomField(r *rand.Rand, depth int) (reflect.Type, string) {
	var tags []string
	pick := r.IntN(9)
	if depth > 1 && pick >= 6 {
		pick = r.IntN(6)
	}
	var t reflect.Type
	switch pick {
	case 0, 1:
		t = reflect.TypeFor[string]()
		a := r.IntN(4)
		if r.IntN(2) == 0 {
			tags = append(tags, fmt.Sprintf(`minLength:"%d"`, a))
		}
		if r.IntN(2) == 0 {
			tags = append(tags, fmt.Sprintf(`maxLength:"%d"`, a+r.IntN(5)))
		}
		switch r.IntN(5) {
		case 0:
			tags = append(tags, `enum:"red,green,blue"`)
		case 1:
			tags = append(tags, `format:"email"`)
		case 2:
			tags = append(tags, `pattern:"^[0-9]+$"`)
		}
	case 2:
		t = []reflect.Type{reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[uint16](), reflect.TypeFor[int64]()}[r.IntN(4)]
		lo := r.IntN(50) - 10
		if r.IntN(2) == 0 {
			tags = append(tags, fmt.Sprintf(`minimum:"%d"`, lo))
		}
		if r.IntN(2) == 0 {
			tags = append(tags, fmt.Sprintf(`exclusiveMaximum:"%d"`, lo+20+r.IntN(100)))
		}
		if r.IntN(4) == 0 {
			tags = append(tags, fmt.Sprintf(`multipleOf:"%d"`, 1+r.IntN(5)))
		}
	case 3:
		t = reflect.TypeFor[float64]()
		if r.IntN(2) == 0 {
			tags = append(tags, `exclusiveMinimum:"0"`)
		}
		if r.IntN(2) == 0 {
			tags = append(tags, `maximum:"99.5"`)
		}
	case 4:
		t = reflect.TypeFor[bool]()
	case 5:
		t = reflect.TypeFor[*string]()
		if r.IntN(2) == 0 {
			tags = append(tags, `minLength:"2"`)
		}
	case 6:
		t = reflect.TypeFor[[]string]()
		if r.IntN(2) == 0 {
			tags = append(tags, fmt.Sprintf(`maxItems:"%d"`, r.IntN(3)))
		}
		if r.IntN(2) == 0 {
			tags = append(tags, `uniqueItems:"true"`)
		}
		if r.IntN(2) == 0 {
			tags = append(tags, `maxLength:"3"`)
		}
	case 7:
		t = randomType(r, depth+1)
	case 8:
		t = reflect.SliceOf(randomType(r, depth+1))
		if r.IntN(2) == 0 {
			tags = append(tags, `minItems:"1"`)
		}
	}
	if r.IntN(6) == 0 && t.Kind() != reflect.Struct && t.Kind() != reflect.Slice {
		tags = append(tags, `required:"false"`)
	}
	sort.Strings(tags)
	return t, strings.Join(tags, " ")
}

func checkRandomTypes(t *testing.T, typeSeed, docSeed uint64, docs int) {
	r := rand.New(rand.NewPCG(typeSeed, 7))
	typ := randomType(r, 0)
	if _, err := binding.BodyPlan(typ); err != nil {
		t.Skipf("generated an invalid type: %v", err)
	}
	sch := oracle(t, typ)
	tp, _ := binding.BodyPlan(typ)
	g := &docGen{r: rand.New(rand.NewPCG(docSeed, 9))}
	for i := 0; i < docs; i++ {
		if err := compare(typ, sch, g.doc(tp)); err != nil {
			t.Fatalf("type %v: %v", typ, err)
		}
	}
}

func TestDifferentialRandomTypes(t *testing.T) {
	types := 200
	if testing.Short() {
		types = 30
	}
	for i := 0; i < types; i++ {
		checkRandomTypes(t, uint64(i), uint64(i)*31, 30)
	}
}

func FuzzDifferentialTypes(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(42), uint64(7))
	f.Fuzz(func(t *testing.T, typeSeed, docSeed uint64) {
		checkRandomTypes(t, typeSeed, docSeed, 10)
	})
}
