package covet

import (
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// rules are the compiled constraints of one field. Limits are parsed and
// regular expressions compiled once, at registration; messages are built
// then too, so a failing check costs no formatting.
type rules struct {
	minLen, maxLen int // -1: none
	pattern        *regexp.Regexp
	format         string
	formatFn       func(string) bool

	enum    []any // as the schema shows it
	enumStr []string
	enumNum []float64

	hasMin, hasMax, hasExMin, hasExMax, hasMult bool
	min, max, exMin, exMax, mult                float64

	minItems, maxItems int // -1: none
	unique             bool

	// items holds the rules of a slice's elements (string and number
	// keywords on a slice field apply to each element, as in Huma).
	items *rules

	msgMinLen, msgMaxLen, msgPattern, msgFormat, msgEnum string
	msgMin, msgMax, msgExMin, msgExMax, msgMult          string
	msgMinItems, msgMaxItems, msgUnique                  string
}

func newRules() *rules { return &rules{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1} }

// derefPlan returns the plan of the value a rule applies to: through
// pointers.
func derefPlan(tp *tplan) *tplan {
	for tp.kind == vkPtr {
		tp = tp.elem
	}
	return tp
}

func isNumberKind(k vkind) bool { return k == vkInt || k == vkUint || k == vkFloat || k == vkDuration }

// compileRules compiles a field's constraint tags against its type.
func compileRules(ft *fieldTags, tp *tplan, path string) (*rules, error) {
	target := derefPlan(tp)
	var r, items *rules
	get := func(onSlice bool) *rules {
		if onSlice {
			if r == nil {
				r = newRules()
			}
			return r
		}
		if target.kind == vkSlice || target.kind == vkArray {
			if items == nil {
				items = newRules()
			}
			return items
		}
		if r == nil {
			r = newRules()
		}
		return r
	}
	// The kind the scalar keywords apply to: the element for slices.
	scalar := target
	if target.kind == vkSlice || target.kind == vkArray {
		scalar = derefPlan(target.elem)
	}
	isString := scalar.kind == vkString
	isNumber := isNumberKind(scalar.kind)
	isList := target.kind == vkSlice || target.kind == vkArray || target.kind == vkFiles
	for _, key := range ft.order {
		val := ft.vals[key]
		switch key {
		case "required", "default", "example", "doc", "deprecated", "allowNUL":
			continue
		case "minLength", "maxLength":
			if !isString {
				return nil, fieldErr(path, "%s applies to strings, not %s", key, tp.t)
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return nil, fieldErr(path, "%s must be a non-negative integer, not %q", key, val)
			}
			x := get(false)
			if key == "minLength" {
				x.minLen, x.msgMinLen = n, "must be at least "+val+" characters long"
			} else {
				x.maxLen, x.msgMaxLen = n, "must be at most "+val+" characters long"
			}
		case "pattern":
			if !isString {
				return nil, fieldErr(path, "pattern applies to strings, not %s", tp.t)
			}
			re, err := regexp.Compile(val)
			if err != nil {
				return nil, fieldErr(path, "pattern %q is not a valid regular expression: %v", val, err)
			}
			x := get(false)
			x.pattern, x.msgPattern = re, "must match the pattern "+val
		case "format":
			fn, ok := formatCheckers[val]
			if !ok {
				if !docFormats[val] {
					return nil, fieldErr(path, "unknown format %q (known: %s)", val, knownFormats())
				}
			}
			if !isString && scalar.kind != vkText && !(scalar.kind == vkTime && val == "date-time") {
				if !docFormats[val] || isString {
					return nil, fieldErr(path, "format %q applies to strings, not %s", val, tp.t)
				}
			}
			x := get(false)
			x.format = val
			if isString {
				x.formatFn, x.msgFormat = fn, formatMessages[val]
			}
		case "enum":
			if !isString && !isNumber {
				return nil, fieldErr(path, "enum applies to strings and numbers, not %s", tp.t)
			}
			x := get(false)
			var shown []string
			for _, part := range strings.Split(val, ",") {
				part = strings.TrimSpace(part)
				shown = append(shown, part)
				if isString {
					x.enumStr = append(x.enumStr, part)
					x.enum = append(x.enum, part)
					continue
				}
				f, err := parseNumberFor(scalar, part)
				if err != nil {
					return nil, fieldErr(path, "enum value %q: %v", part, err)
				}
				x.enumNum = append(x.enumNum, f)
				x.enum = append(x.enum, numberJSON(scalar, f))
			}
			x.msgEnum = "must be one of: " + strings.Join(shown, ", ")
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf":
			if !isNumber {
				return nil, fieldErr(path, "%s applies to numbers, not %s", key, tp.t)
			}
			f, err := parseNumberFor(scalar, val)
			if err != nil {
				// Bounds may be fractional for integer fields.
				f, err = strconv.ParseFloat(val, 64)
				if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
					return nil, fieldErr(path, "%s must be a number, not %q", key, val)
				}
			}
			x := get(false)
			switch key {
			case "minimum":
				x.hasMin, x.min, x.msgMin = true, f, "must be greater than or equal to "+val
			case "maximum":
				x.hasMax, x.max, x.msgMax = true, f, "must be less than or equal to "+val
			case "exclusiveMinimum":
				x.hasExMin, x.exMin, x.msgExMin = true, f, "must be greater than "+val
			case "exclusiveMaximum":
				x.hasExMax, x.exMax, x.msgExMax = true, f, "must be less than "+val
			case "multipleOf":
				if f <= 0 {
					return nil, fieldErr(path, "multipleOf must be greater than 0, not %q", val)
				}
				x.hasMult, x.mult, x.msgMult = true, f, "must be a multiple of "+val
			}
		case "minItems", "maxItems":
			if !isList {
				return nil, fieldErr(path, "%s applies to slices, not %s", key, tp.t)
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return nil, fieldErr(path, "%s must be a non-negative integer, not %q", key, val)
			}
			x := get(true)
			if key == "minItems" {
				x.minItems, x.msgMinItems = n, "must have at least "+val+" items"
			} else {
				x.maxItems, x.msgMaxItems = n, "must have at most "+val+" items"
			}
		case "uniqueItems":
			if !isList {
				return nil, fieldErr(path, "uniqueItems applies to slices, not %s", tp.t)
			}
			switch val {
			case "true":
				x := get(true)
				x.unique, x.msgUnique = true, "must not contain duplicate items"
			case "false":
			default:
				return nil, fieldErr(path, `uniqueItems must be "true" or "false", not %q`, val)
			}
		}
	}
	if r != nil && r.minLen >= 0 && r.maxLen >= 0 && r.minLen > r.maxLen ||
		items != nil && items.minLen >= 0 && items.maxLen >= 0 && items.minLen > items.maxLen {
		return nil, fieldErr(path, "minLength is greater than maxLength")
	}
	if r != nil && r.minItems >= 0 && r.maxItems >= 0 && r.minItems > r.maxItems {
		return nil, fieldErr(path, "minItems is greater than maxItems")
	}
	for _, x := range []*rules{r, items} {
		if x != nil && x.hasMin && x.hasMax && x.min > x.max {
			return nil, fieldErr(path, "minimum is greater than maximum")
		}
	}
	if items != nil {
		if target.elem != nil && derefPlan(target.elem).kind == vkStruct {
			return nil, fieldErr(path, "string and number constraints cannot apply to a slice of structs")
		}
		if r == nil {
			r = newRules()
		}
		r.items = items
	}
	return r, nil
}

// parseNumberFor parses a number tag value for an int, uint or float kind,
// refusing values the type cannot hold.
func parseNumberFor(tp *tplan, s string) (float64, error) {
	switch tp.kind {
	case vkInt, vkDuration:
		n, err := strconv.ParseInt(s, 10, tp.bits)
		if err != nil {
			return 0, errNotInt(tp)
		}
		return float64(n), nil
	case vkUint:
		n, err := strconv.ParseUint(s, 10, tp.bits)
		if err != nil {
			return 0, errNotInt(tp)
		}
		return float64(n), nil
	}
	f, err := strconv.ParseFloat(s, tp.bits)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errNotNumber
	}
	return f, nil
}

type planMsg string

func (e planMsg) Error() string { return string(e) }

const errNotNumber = planMsg("not a number")

func errNotInt(tp *tplan) error {
	return planMsg("not an integer that fits " + tp.t.String())
}

func numberJSON(tp *tplan, f float64) any {
	if tp.kind == vkFloat {
		return f
	}
	return int64(f)
}

// pathSeg is one step of the path to a value: a field or map key, or an index.
type pathSeg struct {
	name string
	idx  int    // >= 0 for array elements
	ptr  string // "/name" precomputed for struct fields, or ""
}

// validateState collects failures while walking a value.
type validateState struct {
	loc  location
	path []pathSeg
	// The path's last step when it is a leaf (a scalar field or element):
	// set without pushing, since leaves are many and rarely fail.
	leafF   *fplan
	leafIdx int
	hasLeaf bool
	errs    []FieldError
	absent  []string // JSON pointers of fields absent from the body
	base    string   // the parameter name, for non-body locations
}

func newValidateState() *validateState { return &validateState{} }

func (vs *validateState) reset() {
	vs.hasLeaf, vs.leafF = false, nil
	vs.loc = locBody
	vs.path = vs.path[:0]
	vs.errs = nil
	vs.absent = vs.absent[:0]
	vs.base = ""
}

func (vs *validateState) push(name string) { vs.path = append(vs.path, pathSeg{name: name, idx: -1}) }
func (vs *validateState) pushField(f *fplan) {
	vs.path = append(vs.path, pathSeg{name: f.name, idx: -1, ptr: f.ptr})
}
func (vs *validateState) pushIdx(i int) { vs.path = append(vs.path, pathSeg{idx: i}) }
func (vs *validateState) pop()          { vs.path = vs.path[:len(vs.path)-1] }

// pointer renders the current path as an RFC 6901 JSON pointer.
func (vs *validateState) pointer() string {
	if len(vs.path) == 1 && vs.path[0].ptr != "" {
		return vs.path[0].ptr
	}
	return jsonPointer(vs.path)
}

func jsonPointer(path []pathSeg) string {
	var b strings.Builder
	for _, s := range path {
		b.WriteByte('/')
		if s.idx >= 0 {
			b.WriteString(strconv.Itoa(s.idx))
			continue
		}
		if !strings.ContainsAny(s.name, "~/") {
			b.WriteString(s.name)
			continue
		}
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s.name, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func dottedPath(base string, path []pathSeg) string {
	var b strings.Builder
	b.WriteString(base)
	for _, s := range path {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if s.idx >= 0 {
			b.WriteString(strconv.Itoa(s.idx))
		} else {
			b.WriteString(s.name)
		}
	}
	return b.String()
}

// fail records a failure at the current path.
func (vs *validateState) fail(msg string, value any) {
	if vs.hasLeaf {
		// Make the leaf a real step for the time of the report.
		vs.hasLeaf = false
		if vs.leafF != nil {
			vs.pushField(vs.leafF)
		} else {
			vs.pushIdx(vs.leafIdx)
		}
		vs.fail(msg, value)
		vs.pop()
		vs.hasLeaf = true
		return
	}
	fe := FieldError{Location: vs.loc.String(), Message: msg, Value: value}
	if vs.loc == locBody || vs.loc == locForm && len(vs.path) > 0 {
		fe.Pointer = vs.pointer()
		if len(vs.absent) > 0 {
			for _, a := range vs.absent {
				if a == fe.Pointer || strings.HasPrefix(fe.Pointer, a) && fe.Pointer[len(a)] == '/' {
					return // absent: reported as missing, or not checked at all
				}
			}
		}
		if vs.loc == locForm {
			fe.Pointer = ""
		}
	}
	if vs.base == "" && len(vs.path) == 1 && vs.path[0].idx < 0 {
		fe.Field = vs.path[0].name
	} else {
		fe.Field = dottedPath(vs.base, vs.path)
	}
	if vs.loc == locHeader || vs.loc == locCookie {
		fe.Value = nil // may hold credentials
	}
	vs.add(fe)
}

// add appends a failure, with room for a few more.
func (vs *validateState) add(fe FieldError) {
	if vs.errs == nil {
		vs.errs = make([]FieldError, 0, 4)
	}
	vs.errs = append(vs.errs, fe)
}

// echo returns a string value for FieldError.Value, clipped.
func echo(s string) any {
	if len(s) > 64 {
		i := 64
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return s[:i] + "…"
	}
	return s
}

type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// checkValue validates the value at p (of type tp) against r and walks into
// structs and containers.
func (vs *validateState) checkValue(tp *tplan, r *rules, p unsafe.Pointer) {
	switch tp.kind {
	case vkPtr:
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return
		}
		vs.checkValue(tp.elem, r, q)
	case vkString:
		if r != nil {
			vs.checkString(r, *(*string)(p))
		}
	case vkInt, vkDuration:
		if r != nil {
			vs.checkInt(r, readInt(p, tp.bits))
		}
	case vkUint:
		if r != nil {
			vs.checkUint(r, readUint(p, tp.bits))
		}
	case vkFloat:
		if r != nil {
			var f float64
			if tp.bits == 32 {
				f = float64(*(*float32)(p))
			} else {
				f = *(*float64)(p)
			}
			vs.checkFloat(r, f)
		}
	case vkStruct:
		vs.checkStruct(tp, p)
	case vkSlice:
		h := (*sliceHeader)(p)
		vs.checkList(tp, r, h.data, h.len)
	case vkArray:
		vs.checkList(tp, r, p, tp.t.Len())
	case vkFiles:
		if r != nil {
			vs.checkLen(r, (*sliceHeader)(p).len)
		}
	case vkMap:
		if !tp.elem.check {
			return
		}
		m := reflect.NewAt(tp.t, p).Elem()
		it := m.MapRange()
		tmp := reflect.New(tp.elem.t)
		for it.Next() {
			tmp.Elem().Set(it.Value())
			vs.push(mapKeyString(it.Key()))
			vs.checkValue(tp.elem, nil, tmp.UnsafePointer())
			vs.pop()
		}
	}
}

func mapKeyString(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	if tm, ok := k.Interface().(interface{ MarshalText() ([]byte, error) }); ok {
		b, _ := tm.MarshalText()
		return string(b)
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	default:
		return strconv.FormatUint(k.Uint(), 10)
	}
}

func (vs *validateState) checkStruct(tp *tplan, p unsafe.Pointer) {
	for _, f := range tp.fields {
		if f.rules == nil && !f.t.check {
			continue
		}
		if f.t.leafy {
			vs.leafF, vs.hasLeaf = f, true
			vs.checkValue(f.t, f.rules, unsafe.Add(p, f.offset))
			vs.hasLeaf = false
			continue
		}
		vs.pushField(f)
		vs.checkValue(f.t, f.rules, unsafe.Add(p, f.offset))
		vs.pop()
	}
}

func (vs *validateState) checkLen(r *rules, n int) bool {
	ok := true
	if r.minItems >= 0 && n < r.minItems {
		vs.fail(r.msgMinItems, n)
		ok = false
	}
	if r.maxItems >= 0 && n > r.maxItems {
		vs.fail(r.msgMaxItems, n)
		ok = false
	}
	return ok
}

func (vs *validateState) checkList(tp *tplan, r *rules, data unsafe.Pointer, n int) {
	var items *rules
	if r != nil {
		vs.checkLen(r, n)
		if r.unique && n > 1 && hasDuplicates(tp.elem, data, n) {
			vs.fail(r.msgUnique, nil)
		}
		items = r.items
	}
	if items == nil && !tp.elem.check {
		return
	}
	size := tp.elem.t.Size()
	if tp.elem.leafy {
		vs.leafF, vs.hasLeaf = nil, true
		for i := 0; i < n; i++ {
			vs.leafIdx = i
			vs.checkValue(tp.elem, items, unsafe.Add(data, uintptr(i)*size))
		}
		vs.hasLeaf = false
		return
	}
	for i := 0; i < n; i++ {
		vs.pushIdx(i)
		vs.checkValue(tp.elem, items, unsafe.Add(data, uintptr(i)*size))
		vs.pop()
	}
}

func hasDuplicates(elem *tplan, data unsafe.Pointer, n int) bool {
	size := elem.t.Size()
	if elem.kind == vkString {
		seen := make(map[string]struct{}, n)
		for i := 0; i < n; i++ {
			s := *(*string)(unsafe.Add(data, uintptr(i)*size))
			if _, dup := seen[s]; dup {
				return true
			}
			seen[s] = struct{}{}
		}
		return false
	}
	vals := make([]any, n)
	for i := 0; i < n; i++ {
		vals[i] = reflect.NewAt(elem.t, unsafe.Add(data, uintptr(i)*size)).Elem().Interface()
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if reflect.DeepEqual(vals[i], vals[j]) {
				return true
			}
		}
	}
	return false
}

func (vs *validateState) checkString(r *rules, s string) {
	if r.minLen >= 0 || r.maxLen >= 0 {
		n := len(s)
		if n >= r.minLen || r.maxLen >= 0 {
			n = utf8.RuneCountInString(s)
		}
		if r.minLen >= 0 && n < r.minLen {
			vs.fail(r.msgMinLen, echo(s))
		}
		if r.maxLen >= 0 && n > r.maxLen {
			vs.fail(r.msgMaxLen, echo(s))
		}
	}
	if r.pattern != nil && !r.pattern.MatchString(s) {
		vs.fail(r.msgPattern, echo(s))
	}
	if r.formatFn != nil && !r.formatFn(s) {
		vs.fail(r.msgFormat, echo(s))
	}
	if r.enumStr != nil {
		for _, e := range r.enumStr {
			if e == s {
				return
			}
		}
		vs.fail(r.msgEnum, echo(s))
	}
}

func readInt(p unsafe.Pointer, bits int) int64 {
	switch bits {
	case 8:
		return int64(*(*int8)(p))
	case 16:
		return int64(*(*int16)(p))
	case 32:
		return int64(*(*int32)(p))
	}
	return *(*int64)(p)
}

func readUint(p unsafe.Pointer, bits int) uint64 {
	switch bits {
	case 8:
		return uint64(*(*uint8)(p))
	case 16:
		return uint64(*(*uint16)(p))
	case 32:
		return uint64(*(*uint32)(p))
	}
	return *(*uint64)(p)
}

// The integer checks compare exactly when the bound is an integer, so values
// beyond 2^53 are not rounded.
func (vs *validateState) checkInt(r *rules, v int64) {
	if r.hasMin && cmpIntFloat(v, r.min) < 0 {
		vs.fail(r.msgMin, v)
	}
	if r.hasMax && cmpIntFloat(v, r.max) > 0 {
		vs.fail(r.msgMax, v)
	}
	if r.hasExMin && cmpIntFloat(v, r.exMin) <= 0 {
		vs.fail(r.msgExMin, v)
	}
	if r.hasExMax && cmpIntFloat(v, r.exMax) >= 0 {
		vs.fail(r.msgExMax, v)
	}
	if r.hasMult && !isMultipleInt(v, r.mult) {
		vs.fail(r.msgMult, v)
	}
	if r.enumNum != nil {
		for _, e := range r.enumNum {
			if cmpIntFloat(v, e) == 0 {
				return
			}
		}
		vs.fail(r.msgEnum, v)
	}
}

func (vs *validateState) checkUint(r *rules, v uint64) {
	if v <= math.MaxInt64 {
		vs.checkInt(r, int64(v))
		return
	}
	vs.checkFloat(r, float64(v))
}

// cmpIntFloat compares an int64 with a float64 bound without rounding v.
func cmpIntFloat(v int64, f float64) int {
	if f >= 9.3e18 {
		return -1
	}
	if f <= -9.3e18 {
		return 1
	}
	t := math.Trunc(f)
	ti := int64(t)
	switch {
	case v < ti:
		return -1
	case v > ti:
		return 1
	}
	switch {
	case f > t:
		return -1
	case f < t:
		return 1
	}
	return 0
}

func isMultipleInt(v int64, m float64) bool {
	if m == math.Trunc(m) && m < 9e18 {
		return v%int64(m) == 0
	}
	return isMultipleFloat(float64(v), m)
}

// isMultipleFloat tolerates the rounding of binary fractions (0.3 is a
// multiple of 0.1), relative to the quotient.
func isMultipleFloat(f, m float64) bool {
	q := f / m
	if math.IsInf(q, 0) || math.IsNaN(q) {
		return false
	}
	return math.Abs(q-math.Round(q)) <= 1e-9*math.Max(1, math.Abs(q))
}

func (vs *validateState) checkFloat(r *rules, v float64) {
	if r.hasMin && v < r.min {
		vs.fail(r.msgMin, v)
	}
	if r.hasMax && v > r.max {
		vs.fail(r.msgMax, v)
	}
	if r.hasExMin && v <= r.exMin {
		vs.fail(r.msgExMin, v)
	}
	if r.hasExMax && v >= r.exMax {
		vs.fail(r.msgExMax, v)
	}
	if r.hasMult && !isMultipleFloat(v, r.mult) {
		vs.fail(r.msgMult, v)
	}
	if r.enumNum != nil {
		for _, e := range r.enumNum {
			if e == v {
				return
			}
		}
		vs.fail(r.msgEnum, v)
	}
}
