package binding

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Kind is the shape of a Go type as binding, validation and the schema see it.
type Kind uint8

const (
	KindInvalid Kind = iota
	KindString
	KindInt
	KindUint
	KindFloat
	KindBool
	KindTime     // time.Time, RFC 3339 text
	KindDuration // time.Duration: Go duration text in parameters, nanoseconds in JSON
	KindText     // encoding.TextUnmarshaler (UUIDs, IPs, ...): a string
	KindJSON     // json.Unmarshaler: any JSON, the type checks itself
	KindAny      // interface: any JSON
	KindBytes    // []byte: base64 string
	KindStruct
	KindSlice
	KindArray
	KindMap
	KindPtr
	KindFile  // *multipart.FileHeader or *File (form inputs only)
	KindFiles // []*multipart.FileHeader or []*File
)

// TypePlan is the compiled plan of a Go type.
type TypePlan struct {
	T       reflect.Type
	Kind    Kind
	Bits    int          // size in bits of int, uint and float kinds
	Elem    *TypePlan    // ptr, slice, array and map element
	Fields  []*FieldPlan // struct fields, flattened through embedded structs
	tracked int          // struct fields the JSON scan tracks for presence
	// check reports that validating a value of this type does something
	// (some field or element below has rules, or a Validate method).
	check bool
	// named struct types get one schema component
	Named bool
	// done is set when the plan is complete (recursive types see a plan in progress).
	done bool
	// leafy: a value of this type (through pointers) holds no other value,
	// so walks record it as the path's last step without pushing.
	leafy bool
	// quoted: a struct with a field tagged `,string`, which the planned
	// decoder leaves to encoding/json.
	quoted bool
}

// FieldPlan is the compiled plan of one struct field.
type FieldPlan struct {
	GoName string
	Name   string // wire name: JSON name, or the parameter name
	ptr    string // "/name" as a JSON pointer segment
	Offset uintptr
	Index  []int
	T      *TypePlan
	Loc    Location
	// required: body fields must be present in the JSON object; parameters
	// must be present in the request.
	Required bool
	nullable bool // pointer or interface: JSON null is allowed
	// track is the bit of the field in the JSON scan's presence mask, or -1.
	track      int
	HasDefault bool
	defVal     reflect.Value // the parsed default, of the field's type
	DefJSON    any           // the default as the schema shows it
	// zeroFails: the zero value breaks a rule, so an absent optional field
	// must not be checked.
	zeroFails  bool
	Rules      *Rules
	Doc        string
	Deprecated bool
	Example    any
	HasExample bool
	omitEmpty  bool
	// allowNUL lets string values hold NUL (allowNUL:"true"); by default a
	// NUL in a bound string is a 422, since databases refuse or mangle it.
	allowNUL bool
	// plainName: the JSON name is valid UTF-8 without a quote or a
	// backslash, so a key spelled exactly like it in the body is it.
	plainName bool
	// quoted is set for a body field whose `,string` option encoding/json
	// applies (the value is JSON text inside a JSON string): a struct
	// type of one such field, with which the scan asks encoding/json
	// whether it takes the value.
	quoted reflect.Type
	// parameters
	Header string // canonical header name
	Bit    uint64 // presence bit among the parameters of its location
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	durationType      = reflect.TypeFor[time.Duration]()
	textUnmarshalerT  = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshalerT  = reflect.TypeFor[json.Unmarshaler]()
	jsonNumberT       = reflect.TypeFor[json.Number]()
	fileHeaderPtrType = reflect.TypeFor[*multipart.FileHeader]()
	validatorT        = reflect.TypeFor[interface{ Validate() error }]()
)

// planCache holds the compiled plans of body types. Plans do not depend on
// the App, so one cache serves every app in the process.
var planCache sync.Map // reflect.Type → *tplan

var planMu sync.Mutex

// BodyPlan returns the compiled plan of t for JSON bodies.
func BodyPlan(t reflect.Type) (*TypePlan, error) {
	if p, ok := planCache.Load(t); ok {
		return p.(*TypePlan), nil
	}
	planMu.Lock()
	defer planMu.Unlock()
	if p, ok := planCache.Load(t); ok {
		return p.(*TypePlan), nil
	}
	pc := &planCompiler{inProgress: map[reflect.Type]*TypePlan{}}
	p, err := pc.compile(t, "")
	if err != nil {
		return nil, err
	}
	computeChecks(pc.inProgress)
	for typ, pl := range pc.inProgress {
		planCache.Store(typ, pl)
	}
	return p, nil
}

type planCompiler struct {
	inProgress map[reflect.Type]*TypePlan
}

// planError locates a problem in a type: "field Body.Address.Zip: ...".
type planError struct {
	path string
	msg  string
}

func (e *planError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return "field " + e.path + ": " + e.msg
}

func fieldErr(path, format string, args ...any) error {
	return &planError{path: path, msg: fmt.Sprintf(format, args...)}
}

func joinGoPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func (pc *planCompiler) compile(t reflect.Type, path string) (*TypePlan, error) {
	if p, ok := planCache.Load(t); ok {
		return p.(*TypePlan), nil
	}
	if p := pc.inProgress[t]; p != nil {
		return p, nil
	}
	p := &TypePlan{T: t}
	switch {
	case t == timeType:
		p.Kind = KindTime
	case t == durationType:
		p.Kind = KindDuration
		p.Bits = 64
	case t == jsonNumberT:
		// A number, or a string holding one, or null (encoding/json's
		// rules, which the decoder hands it to): raw JSON the type checks.
		p.Kind = KindJSON
	case t == fileHeaderPtrType || t.Kind() == reflect.Slice && t.Elem() == fileHeaderPtrType:
		return nil, fieldErr(path, "*multipart.FileHeader is not supported: use *covet.File, which is streamed with limits")
	case t == filePtrType:
		p.Kind = KindFile
	case t.Kind() == reflect.Slice && t.Elem() == filePtrType:
		p.Kind = KindFiles
	case t.Implements(jsonUnmarshalerT) || reflect.PointerTo(t).Implements(jsonUnmarshalerT):
		if t.Kind() == reflect.Pointer {
			break // handled as a pointer below
		}
		p.Kind = KindJSON
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerT):
		p.Kind = KindText
	}
	if p.Kind == KindInvalid {
		switch t.Kind() {
		case reflect.String:
			p.Kind = KindString
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			p.Kind, p.Bits = KindInt, t.Bits()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			p.Kind, p.Bits = KindUint, t.Bits()
		case reflect.Float32, reflect.Float64:
			p.Kind, p.Bits = KindFloat, t.Bits()
		case reflect.Bool:
			p.Kind = KindBool
		case reflect.Interface:
			p.Kind = KindAny
		case reflect.Pointer:
			p.Kind = KindPtr
			pc.inProgress[t] = p
			e, err := pc.compile(t.Elem(), path)
			if err != nil {
				return nil, err
			}
			p.Elem = e
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(textUnmarshalerT) {
				p.Kind = KindBytes
				break
			}
			p.Kind = KindSlice
			pc.inProgress[t] = p
			e, err := pc.compile(t.Elem(), path+"[]")
			if err != nil {
				return nil, err
			}
			p.Elem = e
		case reflect.Array:
			p.Kind = KindArray
			pc.inProgress[t] = p
			e, err := pc.compile(t.Elem(), path+"[]")
			if err != nil {
				return nil, err
			}
			p.Elem = e
		case reflect.Map:
			switch t.Key().Kind() {
			case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			default:
				if !reflect.PointerTo(t.Key()).Implements(textUnmarshalerT) {
					return nil, fieldErr(path, "map key type %s cannot be a JSON object key", t.Key())
				}
			}
			p.Kind = KindMap
			pc.inProgress[t] = p
			e, err := pc.compile(t.Elem(), path+"[]")
			if err != nil {
				return nil, err
			}
			p.Elem = e
		case reflect.Struct:
			p.Kind = KindStruct
			p.Named = t.Name() != ""
			p.quoted = hasQuotedField(t)
			pc.inProgress[t] = p
			if err := pc.structFields(p, t, path); err != nil {
				return nil, err
			}
		default:
			return nil, fieldErr(path, "type %s cannot be bound from JSON", t)
		}
	}
	pc.inProgress[t] = p
	p.done = true
	switch p.Kind {
	case KindStruct, KindSlice, KindArray, KindMap, KindAny:
	case KindPtr:
		p.leafy = DerefPlan(p).leafy
	default:
		p.leafy = true
	}
	return p, nil
}

// structFields fills p.fields with the JSON fields of struct t (embedded
// structs are flattened, as encoding/json does).
func (pc *planCompiler) structFields(p *TypePlan, t reflect.Type, path string) error {
	fields, err := pc.collectFields(t, path, 0, nil)
	if err != nil {
		return err
	}
	seen := map[string]string{}
	for _, f := range fields {
		f.ptr = jsonPointer([]pathSeg{{Name: f.Name, idx: -1}})
		if other, dup := seen[f.Name]; dup {
			return fieldErr(joinGoPath(path, f.GoName), "JSON name %q is also used by field %s", f.Name, other)
		}
		seen[f.Name] = f.GoName
		f.plainName = utf8.ValidString(f.Name) && !strings.ContainsAny(f.Name, "\"\\")
		if f.track >= 0 {
			if p.tracked >= 64 {
				return fieldErr(joinGoPath(path, f.GoName), "struct %s has more than 64 required or defaulted fields", t)
			}
			f.track = p.tracked
			p.tracked++
		}
	}
	p.Fields = fields
	return nil
}

func (pc *planCompiler) collectFields(t reflect.Type, path string, base uintptr, index []int) ([]*FieldPlan, error) {
	var out []*FieldPlan
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		idx := append(append([]int(nil), index...), i)
		ft, err := parseFieldTags(string(sf.Tag))
		if err != nil {
			return nil, fieldErr(joinGoPath(path, sf.Name), "%v", err)
		}
		if ft.skip {
			continue
		}
		if sf.Anonymous && !ft.jsonSet {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				if et.Elem().Kind() == reflect.Struct {
					return nil, fieldErr(joinGoPath(path, sf.Name), "embedded pointer to struct is not supported; embed the struct or use a named field")
				}
			}
			if et.Kind() == reflect.Struct {
				sub, err := pc.collectFields(et, path, base+sf.Offset, idx)
				if err != nil {
					return nil, err
				}
				out = append(out, sub...)
				continue
			}
			if !sf.IsExported() {
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if ft.hasLoc {
			return nil, fieldErr(joinGoPath(path, sf.Name), "%s tag inside a JSON body: location tags belong on the input struct's top-level fields", ft.Loc)
		}
		f, err := pc.field(sf, ft, joinGoPath(path, sf.Name), base, idx, LocBody)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// field compiles one field: its type, rules, default and required-ness.
func (pc *planCompiler) field(sf reflect.StructField, ft *fieldTags, path string, base uintptr, idx []int, loc Location) (*FieldPlan, error) {
	f := &FieldPlan{GoName: sf.Name, Offset: base + sf.Offset, Index: idx, Loc: loc, track: -1, omitEmpty: ft.omitEmpty}
	f.Name = sf.Name
	if ft.jsonSet {
		f.Name = ft.json
	}
	if ft.hasLoc {
		f.Name = ft.locName
	}
	tp, err := pc.compile(sf.Type, path)
	if err != nil {
		return nil, err
	}
	f.T = tp
	f.nullable = tp.Kind == KindPtr || tp.Kind == KindAny || tp.Kind == KindJSON
	if err := compileFieldMeta(f, ft, sf.Type, path); err != nil {
		return nil, err
	}
	if loc == LocBody && ft.quoted {
		f.quoted = quotedProbe(sf.Type)
	}
	if loc == LocBody {
		switch {
		case ft.explicitRq != 0:
			f.Required = ft.explicitRq > 0
		default:
			f.Required = !f.nullable && !ft.omitEmpty && !f.HasDefault
		}
		if f.Required && f.HasDefault {
			return nil, fieldErr(path, `required:"true" and a default contradict each other`)
		}
		if !f.Required && (tp.Kind == KindStruct || tp.Kind == KindArray) {
			// An absent optional struct is not validated: its zero value
			// may break rules of its fields.
			f.zeroFails = true
		}
		if f.Required || f.HasDefault || f.zeroFails {
			f.track = 0 // numbered by structFields
		}
	}
	return f, nil
}

// compileFieldMeta reads the schema tags of a field: rules, default,
// example, doc and deprecated.
func compileFieldMeta(f *FieldPlan, ft *fieldTags, t reflect.Type, path string) error {
	r, err := compileRules(ft, f.T, path)
	if err != nil {
		return err
	}
	f.Rules = r
	f.Doc, _ = ft.get("doc")
	if a, ok := ft.get("allowNUL"); ok {
		switch a {
		case "true":
			f.allowNUL = true
		case "false":
		default:
			return fieldErr(path, `allowNUL must be "true" or "false", not %q`, a)
		}
	}
	if d, ok := ft.get("deprecated"); ok {
		switch d {
		case "true":
			f.Deprecated = true
		case "false":
		default:
			return fieldErr(path, `deprecated must be "true" or "false", not %q`, d)
		}
	}
	if ex, ok := ft.get("example"); ok {
		v, _, err := parseTagValue(f.T, ex)
		if err != nil {
			return fieldErr(path, "example %q: %v", ex, err)
		}
		f.Example, f.HasExample = v, true
	}
	if def, ok := ft.get("default"); ok {
		if f.T.Kind == KindStruct || f.T.Kind == KindMap || f.T.Kind == KindFile || f.T.Kind == KindFiles {
			return fieldErr(path, "default is not supported on %s fields", t)
		}
		js, rv, err := parseTagValue(f.T, def)
		if err != nil {
			return fieldErr(path, "default %q: %v", def, err)
		}
		f.HasDefault, f.DefJSON, f.defVal = true, js, rv
		// The default must satisfy the field's own rules.
		if msgs := checkValueRules(f, rv); len(msgs) > 0 {
			return fieldErr(path, "default %q breaks the field's own constraints: %s", def, strings.Join(msgs, "; "))
		}
	}
	if f.Rules != nil {
		z := reflect.New(t).Elem()
		f.zeroFails = len(checkValueRules(f, z)) > 0
	}
	return nil
}

// checkValueRules validates one Go value against a field's rules, for
// registration-time checks of defaults.
func checkValueRules(f *FieldPlan, v reflect.Value) []string {
	if f.Rules == nil {
		return nil
	}
	vs := NewState()
	ptr := reflect.New(v.Type())
	ptr.Elem().Set(v)
	vs.checkValue(f.T, f.Rules, ptr.UnsafePointer())
	out := make([]string, 0, len(vs.errs))
	for _, e := range vs.errs {
		out = append(out, e.Message)
	}
	return out
}

// parseTagValue parses a default or example tag value for a field type:
// scalars as their text, slices of scalars comma-separated, anything else as
// JSON. It returns the value for the schema and the Go value.
func parseTagValue(tp *TypePlan, s string) (any, reflect.Value, error) {
	rv := reflect.New(tp.T).Elem()
	if err := setFromText(tp, rv, s, true); err != nil {
		return nil, reflect.Value{}, err
	}
	return schemaValue(rv), rv, nil
}

// setFromText sets rv from a tag or parameter text.
func setFromText(tp *TypePlan, rv reflect.Value, s string, commaList bool) error {
	switch tp.Kind {
	case KindPtr:
		e := reflect.New(tp.Elem.T)
		if err := setFromText(tp.Elem, e.Elem(), s, commaList); err != nil {
			return err
		}
		rv.Set(e)
		return nil
	case KindSlice:
		if commaList {
			var parts []string
			if s != "" {
				parts = strings.Split(s, ",")
			}
			sl := reflect.MakeSlice(tp.T, len(parts), len(parts))
			for i, part := range parts {
				if err := setFromText(tp.Elem, sl.Index(i), strings.TrimSpace(part), false); err != nil {
					return err
				}
			}
			rv.Set(sl)
			return nil
		}
	case KindAny, KindMap, KindStruct, KindArray, KindJSON:
		p := reflect.New(tp.T)
		if err := json.Unmarshal([]byte(s), p.Interface()); err != nil {
			return err
		}
		rv.Set(p.Elem())
		return nil
	}
	return parseScalarInto(tp, s, rv.Addr().UnsafePointer())
}

// schemaValue converts a Go value to what a JSON encoder would produce, for
// defaults and examples in the schema.
func schemaValue(rv reflect.Value) any {
	b, err := json.Marshal(rv.Interface())
	if err != nil {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return v
}

var errNotScalar = errors.New("not a scalar type")

// Quoted reports whether the field's value is its JSON inside a JSON
// string (the `,string` option, where encoding/json applies it).
func (f *FieldPlan) Quoted() bool { return f.quoted != nil }

// quotedProbe returns, for the type of a field tagged `,string`, a struct
// type holding one field of that type with that option, or nil when
// encoding/json ignores the option (it applies to strings, bools and
// numbers, and pointers to them).
func quotedProbe(t reflect.Type) reflect.Type {
	ft := t
	if ft.Name() == "" && ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	switch ft.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return reflect.StructOf([]reflect.StructField{{Name: "F", Type: t, Tag: `json:"f,string"`}})
	}
	return nil
}
