package binding

import (
	"math"
	"reflect"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Rules are the compiled constraints of one field. Limits are parsed and
// regular expressions compiled once, at registration; messages are built
// then too, so a failing check costs no formatting.
type Rules struct {
	MinLen, MaxLen int // -1: none
	// Pattern is the source of the regular expression a string must match;
	// matchPattern is its compiled MatchString. Rules holds no
	// *regexp.Regexp: Rules is used in interfaces, and a *regexp.Regexp
	// reachable from it would keep its UnmarshalText, and so regexp's whole
	// compiler, in every binary (issue 12: binary size).
	Pattern      string
	matchPattern func(string) bool
	Format       string
	formatFn     func(string) bool

	Enum    []any // as the schema shows it
	EnumStr []string
	enumNum []float64

	HasMin, HasMax, HasExMin, HasExMax, HasMult bool
	Min, Max, ExMin, ExMax, Mult                float64

	MinItems, MaxItems int // -1: none
	Unique             bool

	// items holds the rules of a slice's elements (string and number
	// keywords on a slice field apply to each element, as in Huma).
	Items *Rules

	msgMinLen, msgMaxLen, msgPattern, msgFormat, msgEnum string
	msgMin, msgMax, msgExMin, msgExMax, msgMult          string
	msgMinItems, msgMaxItems, msgUnique                  string
}

func newRules() *Rules { return &Rules{MinLen: -1, MaxLen: -1, MinItems: -1, MaxItems: -1} }

// DerefPlan returns the plan of the value a rule applies to: through
// pointers.
func DerefPlan(tp *TypePlan) *TypePlan {
	for tp.Kind == KindPtr {
		tp = tp.Elem
	}
	return tp
}

func isNumberKind(k Kind) bool {
	return k == KindInt || k == KindUint || k == KindFloat || k == KindDuration
}

// compileRules compiles a field's constraint tags against its type.
func compileRules(ft *fieldTags, tp *TypePlan, path string) (*Rules, error) {
	rc := newRuleCompiler(tp, path)
	for _, key := range ft.order {
		if err := rc.keyword(key, ft.vals[key]); err != nil {
			return nil, err
		}
	}
	return rc.finish()
}

// ruleCompiler compiles one field's keywords. String and number keywords
// on a slice apply to its elements (items); list keywords to the slice (r).
type ruleCompiler struct {
	tp, target, scalar         *TypePlan
	path                       string
	r, items                   *Rules
	isString, isNumber, isList bool
}

func newRuleCompiler(tp *TypePlan, path string) *ruleCompiler {
	rc := &ruleCompiler{tp: tp, path: path, target: DerefPlan(tp)}
	// The kind the scalar keywords apply to: the element for slices.
	rc.scalar = rc.target
	if k := rc.target.Kind; k == KindSlice || k == KindArray {
		rc.scalar = DerefPlan(rc.target.Elem)
	}
	rc.isString = rc.scalar.Kind == KindString
	rc.isNumber = isNumberKind(rc.scalar.Kind)
	rc.isList = rc.target.Kind == KindSlice || rc.target.Kind == KindArray || rc.target.Kind == KindFiles
	return rc
}

// get returns the rules a keyword fills: the field's own for list keywords
// (onSlice) and non-list fields, the elements' for scalar keywords on lists.
func (rc *ruleCompiler) get(onSlice bool) *Rules {
	if !onSlice && (rc.target.Kind == KindSlice || rc.target.Kind == KindArray) {
		if rc.items == nil {
			rc.items = newRules()
		}
		return rc.items
	}
	if rc.r == nil {
		rc.r = newRules()
	}
	return rc.r
}

// keyword compiles one tag.
func (rc *ruleCompiler) keyword(key, val string) error {
	switch key {
	case "minLength", "maxLength", "pattern":
		return rc.stringRule(key, val)
	case "format":
		return rc.formatRule(val)
	case "enum":
		return rc.enumRule(val)
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf":
		return rc.numberRule(key, val)
	case "minItems", "maxItems", "uniqueItems":
		return rc.listRule(key, val)
	}
	return nil // required, default, example, doc, deprecated, allowNUL: not rules
}

func (rc *ruleCompiler) stringRule(key, val string) error {
	if !rc.isString {
		return fieldErr(rc.path, "%s applies to strings, not %s", key, rc.tp.T)
	}
	x := rc.get(false)
	if key == "pattern" {
		re, err := regexp.Compile(val)
		if err != nil {
			return fieldErr(rc.path, "pattern %q is not a valid regular expression: %v", val, err)
		}
		match := re.MatchString
		if m := classRunMatcher(val); m != nil {
			match = m
		}
		x.Pattern, x.matchPattern, x.msgPattern = val, match, "must match the pattern "+val
		return nil
	}
	n, err := strconv.Atoi(val)
	if err != nil || n < 0 {
		return fieldErr(rc.path, "%s must be a non-negative integer, not %q", key, val)
	}
	if key == "minLength" {
		x.MinLen, x.msgMinLen = n, "must be at least "+val+" characters long"
	} else {
		x.MaxLen, x.msgMaxLen = n, "must be at most "+val+" characters long"
	}
	return nil
}

func (rc *ruleCompiler) formatRule(val string) error {
	fn, ok := formatCheckers[val]
	if !ok && !docFormats[val] {
		return fieldErr(rc.path, "unknown format %q (known: %s)", val, knownFormats())
	}
	k := rc.scalar.Kind
	if !rc.isString && k != KindText && !(k == KindTime && val == "date-time") && !docFormats[val] {
		return fieldErr(rc.path, "format %q applies to strings, not %s", val, rc.tp.T)
	}
	x := rc.get(false)
	x.Format = val
	if rc.isString {
		x.formatFn, x.msgFormat = fn, formatMessages[val]
	}
	return nil
}

func (rc *ruleCompiler) enumRule(val string) error {
	if !rc.isString && !rc.isNumber {
		return fieldErr(rc.path, "enum applies to strings and numbers, not %s", rc.tp.T)
	}
	x := rc.get(false)
	var shown []string
	for _, part := range strings.Split(val, ",") {
		part = strings.TrimSpace(part)
		shown = append(shown, part)
		if rc.isString {
			x.EnumStr = append(x.EnumStr, part)
			x.Enum = append(x.Enum, part)
			continue
		}
		f, err := parseNumberFor(rc.scalar, part)
		if err != nil {
			return fieldErr(rc.path, "enum value %q: %v", part, err)
		}
		x.enumNum = append(x.enumNum, f)
		x.Enum = append(x.Enum, numberJSON(rc.scalar, f))
	}
	x.msgEnum = "must be one of: " + strings.Join(shown, ", ")
	return nil
}

func (rc *ruleCompiler) numberRule(key, val string) error {
	if !rc.isNumber {
		return fieldErr(rc.path, "%s applies to numbers, not %s", key, rc.tp.T)
	}
	f, err := parseNumberFor(rc.scalar, val)
	if err != nil {
		// Bounds may be fractional for integer fields.
		f, err = strconv.ParseFloat(val, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fieldErr(rc.path, "%s must be a number, not %q", key, val)
		}
	}
	x := rc.get(false)
	switch key {
	case "minimum":
		x.HasMin, x.Min, x.msgMin = true, f, "must be greater than or equal to "+val
	case "maximum":
		x.HasMax, x.Max, x.msgMax = true, f, "must be less than or equal to "+val
	case "exclusiveMinimum":
		x.HasExMin, x.ExMin, x.msgExMin = true, f, "must be greater than "+val
	case "exclusiveMaximum":
		x.HasExMax, x.ExMax, x.msgExMax = true, f, "must be less than "+val
	case "multipleOf":
		if f <= 0 {
			return fieldErr(rc.path, "multipleOf must be greater than 0, not %q", val)
		}
		x.HasMult, x.Mult, x.msgMult = true, f, "must be a multiple of "+val
	}
	return nil
}

func (rc *ruleCompiler) listRule(key, val string) error {
	if !rc.isList {
		return fieldErr(rc.path, "%s applies to slices, not %s", key, rc.tp.T)
	}
	if key == "uniqueItems" {
		switch val {
		case "true":
			x := rc.get(true)
			x.Unique, x.msgUnique = true, "must not contain duplicate items"
		case "false":
		default:
			return fieldErr(rc.path, `uniqueItems must be "true" or "false", not %q`, val)
		}
		return nil
	}
	n, err := strconv.Atoi(val)
	if err != nil || n < 0 {
		return fieldErr(rc.path, "%s must be a non-negative integer, not %q", key, val)
	}
	x := rc.get(true)
	if key == "minItems" {
		x.MinItems, x.msgMinItems = n, "must have at least "+val+" items"
	} else {
		x.MaxItems, x.msgMaxItems = n, "must have at most "+val+" items"
	}
	return nil
}

// finish checks the compiled rules against each other and returns them
// (nil when the field has none).
func (rc *ruleCompiler) finish() (*Rules, error) {
	r, items, path := rc.r, rc.items, rc.path
	if r != nil && r.MinLen >= 0 && r.MaxLen >= 0 && r.MinLen > r.MaxLen ||
		items != nil && items.MinLen >= 0 && items.MaxLen >= 0 && items.MinLen > items.MaxLen {
		return nil, fieldErr(path, "minLength is greater than maxLength")
	}
	if r != nil && r.MinItems >= 0 && r.MaxItems >= 0 && r.MinItems > r.MaxItems {
		return nil, fieldErr(path, "minItems is greater than maxItems")
	}
	for _, x := range []*Rules{r, items} {
		if x != nil && x.HasMin && x.HasMax && x.Min > x.Max {
			return nil, fieldErr(path, "minimum is greater than maximum")
		}
	}
	if items != nil {
		if rc.target.Elem != nil && DerefPlan(rc.target.Elem).Kind == KindStruct {
			return nil, fieldErr(path, "string and number constraints cannot apply to a slice of structs")
		}
		if r == nil {
			r = newRules()
		}
		r.Items = items
	}
	return r, nil
}

// parseNumberFor parses a number tag value for an int, uint or float kind,
// refusing values the type cannot hold.
func parseNumberFor(tp *TypePlan, s string) (float64, error) {
	switch tp.Kind {
	case KindInt, KindDuration:
		n, err := strconv.ParseInt(s, 10, tp.Bits)
		if err != nil {
			return 0, errNotInt(tp)
		}
		return float64(n), nil
	case KindUint:
		n, err := strconv.ParseUint(s, 10, tp.Bits)
		if err != nil {
			return 0, errNotInt(tp)
		}
		return float64(n), nil
	}
	f, err := strconv.ParseFloat(s, tp.Bits)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errNotNumber
	}
	return f, nil
}

type planMsg string

func (e planMsg) Error() string { return string(e) }

const errNotNumber = planMsg("not a number")

func errNotInt(tp *TypePlan) error {
	return planMsg("not an integer that fits " + tp.T.String())
}

func numberJSON(tp *TypePlan, f float64) any {
	if tp.Kind == KindFloat {
		return f
	}
	return int64(f)
}

// pathSeg is one step of the path to a value: a field or map key, or an index.
type pathSeg struct {
	Name string
	idx  int    // >= 0 for array elements
	ptr  string // "/name" precomputed for struct fields, or ""
}

// State collects failures while walking a value.
type State struct {
	Loc  Location
	path []pathSeg
	// The path's last step when it is a leaf (a scalar field or element):
	// set without pushing, since leaves are many and rarely fail.
	leafF   *FieldPlan
	leafIdx int
	hasLeaf bool
	errs    []FieldError
	absent  []string // JSON pointers of fields absent from the body
	base    string   // the parameter name, for non-body locations
}

// NewState returns an empty State (GetState reuses pooled ones).
func NewState() *State { return &State{} }

func (vs *State) reset() {
	vs.hasLeaf, vs.leafF = false, nil
	vs.Loc = LocBody
	vs.path = vs.path[:0]
	// The failures were copied out (covet's fieldErrors) before the State
	// came back to the pool: the array is reused, its values dropped.
	clear(vs.errs)
	vs.errs = vs.errs[:0]
	vs.absent = vs.absent[:0]
	vs.base = ""
}

func (vs *State) push(name string) { vs.path = append(vs.path, pathSeg{Name: name, idx: -1}) }
func (vs *State) pushField(f *FieldPlan) {
	vs.path = append(vs.path, pathSeg{Name: f.Name, idx: -1, ptr: f.ptr})
}
func (vs *State) pushIdx(i int) { vs.path = append(vs.path, pathSeg{idx: i}) }
func (vs *State) pop()          { vs.path = vs.path[:len(vs.path)-1] }

// pointer renders the current path as an RFC 6901 JSON pointer.
func (vs *State) pointer() string {
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
		if !strings.ContainsAny(s.Name, "~/") {
			b.WriteString(s.Name)
			continue
		}
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s.Name, "~", "~0"), "/", "~1"))
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
			b.WriteString(s.Name)
		}
	}
	return b.String()
}

// fail records a failure at the current path.
func (vs *State) fail(msg string, value any) {
	if len(vs.errs) >= MaxFieldErrors {
		vs.add(FieldError{Location: vs.Loc.String()}) // (not even the path is worked out)
		return
	}
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
	fe := FieldError{Location: vs.Loc.String(), Message: msg, Value: value}
	if vs.Loc == LocBody || vs.Loc == LocForm && len(vs.path) > 0 {
		fe.Pointer = vs.pointer()
		if len(vs.absent) > 0 {
			for _, a := range vs.absent {
				if a == fe.Pointer || strings.HasPrefix(fe.Pointer, a) && fe.Pointer[len(a)] == '/' {
					return // absent: reported as missing, or not checked at all
				}
			}
		}
		if vs.Loc == LocForm {
			fe.Pointer = ""
		}
	}
	if vs.base == "" && len(vs.path) == 1 && vs.path[0].idx < 0 {
		fe.Field = vs.path[0].Name
	} else {
		fe.Field = dottedPath(vs.base, vs.path)
	}
	if vs.Loc == LocHeader || vs.Loc == LocCookie {
		fe.Value = nil // may hold credentials
	}
	vs.add(fe)
}

// MaxFieldErrors bounds the failures one request lists. Without it a
// body of small wrong values ("[1,1,1,...]" for a []string) would cost a
// failure each: 2 million, a gigabyte of allocations and a response far
// larger than the body, for a 4 MiB body. The rest are counted as one
// last failure saying that more were left out.
const MaxFieldErrors = 100

// truncatedMessage is the message of the failure that stands for the
// ones past MaxFieldErrors.
const truncatedMessage = "more failures are not listed (at most 100 are)"

// add appends a failure, with room for a few more.
func (vs *State) add(fe FieldError) {
	if len(vs.errs) >= MaxFieldErrors {
		if len(vs.errs) == MaxFieldErrors {
			vs.errs = append(vs.errs, FieldError{Location: fe.Location, Message: truncatedMessage})
		}
		return
	}
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
func (vs *State) checkValue(tp *TypePlan, r *Rules, p unsafe.Pointer) {
	switch tp.Kind {
	case KindPtr:
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return
		}
		vs.checkValue(tp.Elem, r, q)
	case KindString:
		if r != nil {
			vs.checkString(r, *(*string)(p))
		}
	case KindInt, KindDuration:
		if r != nil {
			vs.checkInt(r, readInt(p, tp.Bits))
		}
	case KindUint:
		if r != nil {
			vs.checkUint(r, readUint(p, tp.Bits))
		}
	case KindFloat:
		if r != nil {
			var f float64
			if tp.Bits == 32 {
				f = float64(*(*float32)(p))
			} else {
				f = *(*float64)(p)
			}
			vs.checkFloat(r, f)
		}
	case KindStruct:
		vs.checkStruct(tp, p)
	case KindSlice:
		h := (*sliceHeader)(p)
		vs.checkList(tp, r, h.data, h.len)
	case KindArray:
		vs.checkList(tp, r, p, tp.T.Len())
	case KindFiles:
		if r != nil {
			vs.checkLen(r, (*sliceHeader)(p).len)
		}
	case KindMap:
		if !tp.Elem.check {
			return
		}
		m := reflect.NewAt(tp.T, p).Elem()
		it := m.MapRange()
		tmp := reflect.New(tp.Elem.T)
		for it.Next() {
			tmp.Elem().Set(it.Value())
			vs.push(mapKeyString(it.Key()))
			vs.checkValue(tp.Elem, nil, tmp.UnsafePointer())
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

func (vs *State) checkStruct(tp *TypePlan, p unsafe.Pointer) {
	for _, f := range tp.Fields {
		if f.Rules == nil && !f.T.check {
			continue
		}
		if f.T.leafy {
			vs.leafF, vs.hasLeaf = f, true
			vs.checkValue(f.T, f.Rules, unsafe.Add(p, f.Offset))
			vs.hasLeaf = false
			continue
		}
		vs.pushField(f)
		vs.checkValue(f.T, f.Rules, unsafe.Add(p, f.Offset))
		vs.pop()
	}
}

func (vs *State) checkLen(r *Rules, n int) bool {
	ok := true
	if r.MinItems >= 0 && n < r.MinItems {
		vs.fail(r.msgMinItems, n)
		ok = false
	}
	if r.MaxItems >= 0 && n > r.MaxItems {
		vs.fail(r.msgMaxItems, n)
		ok = false
	}
	return ok
}

func (vs *State) checkList(tp *TypePlan, r *Rules, data unsafe.Pointer, n int) {
	var items *Rules
	if r != nil {
		vs.checkLen(r, n)
		if r.Unique && n > 1 && hasDuplicates(tp.Elem, data, n) {
			vs.fail(r.msgUnique, nil)
		}
		items = r.Items
	}
	if items == nil && !tp.Elem.check {
		return
	}
	size := tp.Elem.T.Size()
	if tp.Elem.leafy {
		vs.leafF, vs.hasLeaf = nil, true
		for i := 0; i < n; i++ {
			vs.leafIdx = i
			vs.checkValue(tp.Elem, items, unsafe.Add(data, uintptr(i)*size))
		}
		vs.hasLeaf = false
		return
	}
	for i := 0; i < n; i++ {
		vs.pushIdx(i)
		vs.checkValue(tp.Elem, items, unsafe.Add(data, uintptr(i)*size))
		vs.pop()
	}
}

func hasDuplicates(elem *TypePlan, data unsafe.Pointer, n int) bool {
	size := elem.T.Size()
	if elem.Kind == KindString {
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
		vals[i] = reflect.NewAt(elem.T, unsafe.Add(data, uintptr(i)*size)).Elem().Interface()
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

func (vs *State) checkString(r *Rules, s string) {
	if r.MinLen >= 0 || r.MaxLen >= 0 {
		n := len(s)
		if needRuneCount(n, r.MinLen, r.MaxLen) {
			n = utf8.RuneCountInString(s)
		}
		if r.MinLen >= 0 && n < r.MinLen {
			vs.fail(r.msgMinLen, echo(s))
		}
		if r.MaxLen >= 0 && n > r.MaxLen {
			vs.fail(r.msgMaxLen, echo(s))
		}
	}
	if r.matchPattern != nil && !r.matchPattern(s) {
		vs.fail(r.msgPattern, echo(s))
	}
	if r.formatFn != nil && !r.formatFn(s) {
		vs.fail(r.msgFormat, echo(s))
	}
	if r.EnumStr != nil {
		for _, e := range r.EnumStr {
			if e == s {
				return
			}
		}
		vs.fail(r.msgEnum, echo(s))
	}
}

// needRuneCount reports whether the length limits of a string of n bytes
// depend on its count of runes. That count lies between ⌈n/4⌉ (a rune is
// at most four bytes) and n (an invalid byte counts as one rune), so when
// both bounds give the same verdict for each limit the byte length decides
// (a length -1 is no limit). Counting runes was most of the cost of the
// length checks for short strings.
func needRuneCount(n, minLen, maxLen int) bool {
	lo := (n + 3) / 4
	if minLen >= 0 && n >= minLen && lo < minLen {
		return true // could be under the minimum
	}
	return maxLen >= 0 && n > maxLen && lo <= maxLen // could be within the maximum
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
func (vs *State) checkInt(r *Rules, v int64) {
	if r.HasMin && cmpIntFloat(v, r.Min) < 0 {
		vs.fail(r.msgMin, v)
	}
	if r.HasMax && cmpIntFloat(v, r.Max) > 0 {
		vs.fail(r.msgMax, v)
	}
	if r.HasExMin && cmpIntFloat(v, r.ExMin) <= 0 {
		vs.fail(r.msgExMin, v)
	}
	if r.HasExMax && cmpIntFloat(v, r.ExMax) >= 0 {
		vs.fail(r.msgExMax, v)
	}
	if r.HasMult && !isMultipleInt(v, r.Mult) {
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

func (vs *State) checkUint(r *Rules, v uint64) {
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

func (vs *State) checkFloat(r *Rules, v float64) {
	if r.HasMin && v < r.Min {
		vs.fail(r.msgMin, v)
	}
	if r.HasMax && v > r.Max {
		vs.fail(r.msgMax, v)
	}
	if r.HasExMin && v <= r.ExMin {
		vs.fail(r.msgExMin, v)
	}
	if r.HasExMax && v >= r.ExMax {
		vs.fail(r.msgExMax, v)
	}
	if r.HasMult && !isMultipleFloat(v, r.Mult) {
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

// classRunMatcher returns a matcher equal to regexp's for the commonest
// shape of pattern, a whole string of ASCII characters from one class
// (^[0-9]{5}$, ^[a-z0-9-]{3,32}$, ^[A-Z]+$), or nil for any other pattern.
// Such a string matches byte by byte: a byte outside the class, ASCII or
// not, fails, and the bytes that pass are runes one byte each, so the byte
// count is the rune count the repetition bounds. Running the regexp was
// most of the cost of such a check.
func classRunMatcher(expr string) func(string) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) != 3 ||
		re.Sub[0].Op != syntax.OpBeginText || re.Sub[2].Op != syntax.OpEndText {
		return nil
	}
	rep := re.Sub[1]
	var lo, hi int
	switch rep.Op {
	case syntax.OpRepeat:
		lo, hi = rep.Min, rep.Max
	case syntax.OpPlus:
		lo, hi = 1, -1
	case syntax.OpStar:
		lo, hi = 0, -1
	default:
		return nil
	}
	if len(rep.Sub) != 1 || rep.Sub[0].Op != syntax.OpCharClass || rep.Flags&syntax.NonGreedy != 0 {
		return nil
	}
	var set [256]bool
	r := rep.Sub[0].Rune
	for i := 0; i+1 < len(r); i += 2 {
		if r[i+1] >= utf8.RuneSelf {
			return nil
		}
		for c := r[i]; c <= r[i+1]; c++ {
			set[c] = true
		}
	}
	return func(s string) bool {
		if len(s) < lo || hi >= 0 && len(s) > hi {
			return false
		}
		for i := 0; i < len(s); i++ {
			if !set[s[i]] {
				return false
			}
		}
		return true
	}
}
