package binding

import (
	"encoding"
	"encoding/base64"
	"encoding/binary"
	stdjson "encoding/json"
	"errors"
	"math"
	"math/bits"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// A JSON body is read once into a pooled buffer, scanned once by a small
// scanner guided by the compiled plan of the target type, and then decoded
// once by the app's JSONCodec straight into the typed input.
//
// The scan is what makes JSON Schema semantics possible on top of a plain
// decoder: it records which fields are present ("required" means present in
// the JSON, not non-zero), checks that every value has the JSON type its
// field wants (so every type error is reported at once, with its pointer,
// instead of the decoder's first), refuses nesting deeper than the limit,
// duplicate keys and — where asked — unknown fields, and finds syntax
// errors with their byte offset. It allocates nothing for a valid body.

// DefaultMaxJSONDepth is the default nesting limit of JSON bodies.
const DefaultMaxJSONDepth = 128

// jsonSyntaxError is a malformed body: 400 with the byte offset.
type jsonSyntaxError struct {
	Offset int
	msg    string
}

func (e *jsonSyntaxError) Error() string {
	return "malformed JSON at byte offset " + strconv.Itoa(e.Offset) + ": " + e.msg
}

type absentDefault struct {
	path []pathSeg // path of the object holding the field
	f    *FieldPlan
}

type jsonScanner struct {
	data     []byte
	pos      int
	depth    int
	maxDepth int
	strict   bool
	vs       *State
	defaults []absentDefault
	// keys is a stack of the keys of the objects being scanned that the
	// field bitset does not cover (map keys, keys of interface values and
	// of skipped values, unknown struct keys), to find duplicates.
	keys []string
	err  *jsonSyntaxError
	// blocking counts values of the wrong type or range, which the decoder
	// cannot store (missing and unknown fields do not block decoding).
	blocking int
	// textOnly is the second pass run when the decoder failed: it reports
	// only the text values (UUIDs, IPs, ...) their UnmarshalText refuses.
	textOnly bool
	// allowNUL is set while scanning the value of a field tagged
	// allowNUL:"true": its strings may hold \u0000.
	allowNUL bool
}

func (s *jsonScanner) syntax(msg string) bool {
	if s.err == nil {
		s.err = &jsonSyntaxError{Offset: s.pos, msg: msg}
	}
	return false
}

// ws skips whitespace. Compact bodies have none: the common case is one
// comparison, inlined at the call site.
func (s *jsonScanner) ws() {
	if s.pos < len(s.data) && s.data[s.pos] > ' ' {
		return
	}
	s.wsSlow()
}

func (s *jsonScanner) wsSlow() { s.pos = skipWS(s.data, s.pos) }

// scan checks a whole document against tp.
func (s *jsonScanner) scan(tp *TypePlan) bool {
	if !s.value(tp) {
		return false
	}
	s.ws()
	if s.pos != len(s.data) {
		return s.syntax("unexpected data after the top-level value")
	}
	return true
}

// typeErr records a value the decoder could not store: decoding is skipped.
func (s *jsonScanner) typeErr(msg string) {
	s.badValue(msg, nil)
}

func (s *jsonScanner) badValue(msg string, value any) {
	s.blocking++
	s.vs.fail(msg, value)
}

func clipMessage(m string) string {
	if len(m) > 200 {
		return m[:200] + "…"
	}
	return m
}

func typeMessage(tp *TypePlan) string {
	switch tp.Kind {
	case KindString, KindTime, KindText:
		return "must be a string"
	case KindBytes:
		// (encoding/json also takes an array of numbers; the schema, and
		// so Covet, a base64 string only)
		return "must be a base64 string"
	case KindInt, KindUint, KindDuration:
		return "must be an integer"
	case KindFloat:
		return "must be a number"
	case KindBool:
		return "must be a boolean"
	case KindStruct, KindMap:
		return "must be an object"
	case KindSlice, KindArray:
		return "must be an array"
	}
	return "has the wrong type"
}

// unwrapKinds are the kinds value unwraps before scanning: pointers, raw
// JSON (checked by its own UnmarshalJSON) and interfaces.
const unwrapKinds = 1<<KindPtr | 1<<KindJSON | 1<<KindAny

func (s *jsonScanner) value(tp *TypePlan) bool {
	s.ws()
	if s.pos >= len(s.data) {
		return s.syntax("unexpected end of input")
	}
	c := s.data[s.pos]
	if tp == nil || unwrapKinds&(1<<tp.Kind) == 0 {
		// The common kinds: no pointer, raw JSON or interface to unwrap.
		return s.plainValue(tp, c)
	}
	if tp != nil && tp.Kind == KindPtr {
		if c == 'n' {
			return s.literal("null")
		}
		for tp.Kind == KindPtr {
			tp = tp.Elem
		}
	}
	if tp != nil && tp.Kind == KindJSON {
		tp = nil // the type's UnmarshalJSON checks its own input
	}
	if tp != nil && tp.Kind == KindAny {
		// Any JSON value, but numbers must fit the float64 the decoder makes.
		switch c {
		case '{':
			return s.object(&anyMapPlan)
		case '[':
			return s.array(&anySlicePlan)
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			start := s.pos
			if _, ok := s.number(); !ok {
				return false
			}
			s.checkNumber(&anyNumberPlan, s.data[start:s.pos], false)
			return true
		}
		tp = nil
	}
	return s.plainValue(tp, c)
}

// plainValue scans a value starting with c against tp, which is nil or of
// a kind that needs no unwrapping (not a pointer, raw JSON or interface).
func (s *jsonScanner) plainValue(tp *TypePlan, c byte) bool {
	switch {
	case c == '{':
		return s.object(tp)
	case c == '[':
		return s.array(tp)
	case c == '"':
		start := s.pos
		var esc, ok bool
		if i := skipPlain(s.data, s.pos+1); i < len(s.data) && s.data[i] == '"' {
			s.pos, ok = i+1, true // str's common case, spelled out
		} else {
			esc, ok = s.strSlow()
		}
		if !ok {
			return false
		}
		if tp != nil && (tp.Kind != KindString || esc) {
			s.checkString(tp, s.data[start+1:s.pos-1], esc)
		}
		return true
	case c == 't':
		if !s.literal("true") {
			return false
		}
	case c == 'f':
		if !s.literal("false") {
			return false
		}
	case c == 'n':
		if !s.literal("null") {
			return false
		}
		if tp != nil {
			s.typeErr("must not be null")
		}
		return true
	case c == '-' || c >= '0' && c <= '9':
		start := s.pos
		isInt, ok := s.number()
		if !ok {
			return false
		}
		if tp != nil {
			s.checkNumber(tp, s.data[start:s.pos], isInt)
		}
		return true
	default:
		return s.syntax("invalid character " + strconv.QuoteRune(rune(c)) + " looking for a value")
	}
	if tp != nil && tp.Kind != KindBool {
		s.typeErr(typeMessage(tp))
	}
	return true
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.syntax("invalid literal, want " + lit)
	}
	s.pos += len(lit)
	return true
}

// strSlow moves past a string, from its opening quote, reporting whether
// it holds escapes. Its callers first try the common case inline: no
// escape, so skipPlain stops at the closing quote.
func (s *jsonScanner) strSlow() (esc, ok bool) {
	s.pos++ // opening quote
	for s.pos < len(s.data) {
		d, i := s.data, s.pos
		i = skipPlain(d, i)
		s.pos = i
		if i >= len(d) {
			break
		}
		c := d[i]
		switch {
		case c == '"':
			s.pos++
			return esc, true
		case c == '\\':
			esc = true
			if s.pos+1 >= len(s.data) {
				return false, s.syntax("unterminated string")
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) {
					return false, s.syntax("unterminated string")
				}
				for i := 2; i < 6; i++ {
					if !isHex(s.data[s.pos+i]) {
						s.pos += i
						return false, s.syntax("invalid \\u escape")
					}
				}
				s.pos += 6
			default:
				s.pos++
				return false, s.syntax("invalid escape")
			}
		case c < 0x20:
			return false, s.syntax("control character in string")
		default:
			s.pos++
		}
	}
	return false, s.syntax("unterminated string")
}

// skipPlain returns the index of the first byte at or after i that ends a
// run of plain string content (see strSpecial), or len(d). It tests eight
// bytes at a time: a byte b is special when b < 0x20, b == '"' or b == '\\',
// and the classic "has a byte less than n" / "has a zero byte" word tricks
// flag the lowest special byte exactly (a borrow can only flag bytes above a
// true match, never below one), so the first flagged byte is the answer.
func skipPlain(d []byte, i int) int {
	const (
		lo = 0x0101010101010101
		hi = 0x8080808080808080
	)
	for i+8 <= len(d) {
		x := binary.LittleEndian.Uint64(d[i:])
		q := x ^ (lo * '"')
		b := x ^ (lo * '\\')
		m := ((x - lo*0x20) &^ x) | ((q - lo) &^ q) | ((b - lo) &^ b)
		if m &= hi; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(d) && !strSpecial[d[i]] {
		i++
	}
	return i
}

// strSpecial marks the bytes that end a run of plain string content: the
// quote, the backslash and control characters.
var strSpecial = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// number moves past a number, reporting whether it is written as an integer.
func (s *jsonScanner) number() (isInt, ok bool) {
	d := s.data
	i := s.pos
	if d[i] == '-' {
		i++
	}
	if i >= len(d) || d[i] < '0' || d[i] > '9' {
		s.pos = i
		return false, s.syntax("invalid number")
	}
	if d[i] == '0' {
		i++
	} else {
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	isInt = true
	if i < len(d) && d[i] == '.' {
		isInt = false
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return false, s.syntax("invalid number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		isInt = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return false, s.syntax("invalid number")
		}
	}
	s.pos = i
	return isInt, true
}

func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (s *jsonScanner) checkNumber(tp *TypePlan, lit []byte, isInt bool) {
	switch tp.Kind {
	case KindInt, KindDuration:
		if !isInt {
			s.typeErr("must be an integer")
			return
		}
		if fitsInt(lit, tp.Bits) {
			return
		}
		if _, err := strconv.ParseInt(bstr(lit), 10, tp.Bits); err != nil {
			s.badValue("is out of range for "+tp.T.String(), string(lit))
		}
	case KindUint:
		if !isInt {
			s.typeErr("must be an integer")
			return
		}
		if lit[0] != '-' && fitsUint(lit, tp.Bits) {
			return
		}
		if _, err := strconv.ParseUint(bstr(lit), 10, tp.Bits); err != nil {
			if lit[0] == '-' {
				s.badValue("must not be negative", string(lit))
				return
			}
			s.badValue("is out of range for "+tp.T.String(), string(lit))
		}
	case KindFloat:
		if floatInRange(lit, tp.Bits) {
			return
		}
		f, err := strconv.ParseFloat(bstr(lit), tp.Bits)
		if err != nil || math.IsInf(f, 0) {
			s.badValue("is out of range for "+tp.T.String(), clipNumber(lit))
		}
	default:
		s.typeErr(typeMessage(tp))
	}
}

// smallUint returns the value of the digits of lit when there are at most
// 18 of them (so they fit a uint64 without overflow), after an optional
// minus sign. lit is a number the scan accepted as an integer.
func smallUint(lit []byte) (u uint64, neg, ok bool) {
	if lit[0] == '-' {
		neg, lit = true, lit[1:]
	}
	if len(lit) > 18 {
		return 0, neg, false
	}
	for _, c := range lit {
		u = u*10 + uint64(c-'0')
	}
	return u, neg, true
}

// fitsInt is the fast path of the range check of integers: true when lit
// surely fits a signed integer of the given size (false sends the literal
// to strconv.ParseInt, which decides).
func fitsInt(lit []byte, size int) bool {
	u, neg, ok := smallUint(lit)
	if !ok || size < 1 || size > 64 {
		return false
	}
	limit := uint64(1)<<(size-1) - 1
	if neg {
		limit++
	}
	return u <= limit
}

// fitsUint is fitsInt for unsigned integers and a literal without a sign.
func fitsUint(lit []byte, size int) bool {
	u, _, ok := smallUint(lit)
	if !ok || size < 1 || size > 64 {
		return false
	}
	return size == 64 || u < uint64(1)<<size
}

// floatInRange is the fast path of the range check of floats: a literal
// without an exponent whose integer part has at most 38 digits is below
// 1e38, inside the range of float32 (max ≈ 3.4e38) and float64 alike, so
// strconv.ParseFloat cannot report it out of range. Anything else goes to
// ParseFloat.
func floatInRange(lit []byte, size int) bool {
	if size != 32 && size != 64 {
		return false
	}
	n, frac := 0, false
	for _, c := range lit {
		switch {
		case c >= '0' && c <= '9':
			if !frac {
				n++
			}
		case c == '.':
			frac = true
		case c == 'e' || c == 'E':
			return false
		}
	}
	return n <= 38
}

func clipNumber(lit []byte) string {
	if len(lit) > 32 {
		return string(lit[:32])
	}
	return string(lit)
}

func (s *jsonScanner) checkString(tp *TypePlan, raw []byte, esc bool) {
	switch tp.Kind {
	case KindString:
		if esc && !s.allowNUL && !s.textOnly && hasNULEscape(raw) {
			s.badValue(errNUL.Error(), nil)
		}
	case KindBytes:
		if s.textOnly {
			// What encoding/json's decoder refuses, named: its error
			// carried no field, so the 422 said only "could not be
			// decoded" with no field or pointer.
			v := bstr(raw)
			if esc {
				v = unquoteJSON(raw)
			}
			if _, err := base64.StdEncoding.DecodeString(v); err != nil {
				s.badValue("must be a base64 string", echo(v))
			}
		}
	case KindText:
		if s.textOnly {
			v := bstr(raw)
			if esc {
				v = unquoteJSON(raw)
			}
			u := reflect.New(tp.T).Interface().(encoding.TextUnmarshaler)
			if err := u.UnmarshalText([]byte(v)); err != nil {
				s.badValue("is not a valid "+tp.T.Name()+": "+clipMessage(err.Error()), echo(v))
			}
		}
	case KindTime:
		v := bstr(raw)
		if esc {
			v = unquoteJSON(raw)
		}
		// The format, and what time.Time parses: not a lower-case t or z,
		// nor a leap second (a documented difference from JSON Schema).
		if !isDateTime(v) || !parsesAsTime(v) {
			s.badValue("must be an RFC 3339 date-time", echo(v))
		}
	default:
		s.typeErr(typeMessage(tp))
	}
}

// hasNULEscape reports whether the raw content of a JSON string holds the
// escape \u0000 (raw control characters are refused by the scan).
func hasNULEscape(raw []byte) bool {
	for i := 0; i+5 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] == 'u' && raw[i+2] == '0' && raw[i+3] == '0' && raw[i+4] == '0' && raw[i+5] == '0' {
			return true
		}
		i++ // skip the escaped character
	}
	return false
}

// checkQuoted checks the value of a field tagged `,string` (JSON text
// inside a JSON string, or null) as encoding/json decodes it, which is
// what decodes the struct holding it.
func (s *jsonScanner) checkQuoted(f *FieldPlan, raw []byte) {
	b := make([]byte, 0, len(raw)+6)
	b = append(append(append(b, `{"f":`...), raw...), '}')
	probe := reflect.New(f.quoted)
	if err := stdjson.Unmarshal(b, probe.Interface()); err != nil {
		s.badValue(quotedMessage(f.T), nil)
		return
	}
	v := probe.Elem().Field(0)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.String && !f.allowNUL && strings.IndexByte(v.String(), 0) >= 0 {
		s.badValue(errNUL.Error(), nil)
	}
}

func quotedMessage(tp *TypePlan) string {
	tp = DerefPlan(tp)
	what := "a JSON string"
	switch tp.Kind {
	case KindInt, KindUint, KindDuration:
		what = "an integer"
	case KindFloat:
		what = "a number"
	case KindBool:
		what = "true or false"
	}
	return "must be a string holding " + what + " (the field is tagged ,string)"
}

// Plans for the content of interface fields: objects, arrays and float64s.
var (
	anyPlan       = TypePlan{Kind: KindAny, T: reflect.TypeFor[any]()}
	anyMapPlan    = TypePlan{Kind: KindMap, Elem: &anyPlan, T: reflect.TypeFor[map[string]any]()}
	anySlicePlan  = TypePlan{Kind: KindSlice, Elem: &anyPlan, T: reflect.TypeFor[[]any]()}
	anyNumberPlan = TypePlan{Kind: KindFloat, Bits: 64, T: reflect.TypeFor[float64]()}
)

func parsesAsTime(v string) bool {
	_, err := time.Parse(time.RFC3339Nano, v)
	return err == nil
}

// unquoteJSON decodes the content of a JSON string with escapes.
func unquoteJSON(raw []byte) string {
	var out string
	b := make([]byte, 0, len(raw)+2)
	b = append(b, '"')
	b = append(b, raw...)
	b = append(b, '"')
	_ = stdjson.Unmarshal(b, &out)
	return out
}

func (s *jsonScanner) enter() bool {
	s.depth++
	if s.depth > s.maxDepth {
		return s.syntax("nesting deeper than " + strconv.Itoa(s.maxDepth) + " levels")
	}
	return true
}

// Lookup finds the field a key decodes into: an exact match first, then a
// case-insensitive one, as encoding/json (and the default codec) match keys.
func Lookup(tp *TypePlan, key string) (*FieldPlan, int) {
	for i, f := range tp.Fields {
		if f.Name == key {
			return f, i
		}
	}
	for i, f := range tp.Fields {
		if strings.EqualFold(f.Name, key) {
			return f, i
		}
	}
	return nil, -1
}

func (s *jsonScanner) object(tp *TypePlan) bool {
	if tp != nil && tp.Kind != KindStruct && tp.Kind != KindMap {
		s.typeErr(typeMessage(tp))
		tp = nil
	}
	if !s.enter() {
		return false
	}
	s.pos++
	var mask, seen uint64
	quoted := tp != nil && tp.quoted // a field tagged ,string: checked by checkQuoted
	var seenHi []uint64              // fields from the 65th on, for structs that have them
	var keySet map[string]struct{}
	kbase := len(s.keys)
	next := 0 // keys usually come in declaration order: try that field first
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
	} else {
		for {
			s.ws()
			if s.pos >= len(s.data) || s.data[s.pos] != '"' {
				return s.syntax("expected a string key")
			}
			kstart := s.pos
			var esc, ok bool
			if i := skipPlain(s.data, s.pos+1); i < len(s.data) && s.data[i] == '"' {
				s.pos, ok = i+1, true // str's common case, spelled out: keys are many
			} else {
				esc, ok = s.strSlow()
			}
			if !ok {
				return false
			}
			rawKey := s.data[kstart+1 : s.pos-1]
			s.ws()
			if s.pos >= len(s.data) || s.data[s.pos] != ':' {
				return s.syntax("expected ':' after an object key")
			}
			s.pos++
			var child *TypePlan
			var field *FieldPlan
			name := ""
			pushed := false
			if tp == nil {
				if !s.uniqueKey(kbase, &keySet, rawKey, esc, kstart) {
					return false
				}
			} else {
				key := bstr(rawKey)
				if esc {
					key = unquoteJSON(rawKey)
				}
				if tp.Kind == KindStruct {
					var f *FieldPlan
					i := next
					if i < len(tp.Fields) && tp.Fields[i].Name == key {
						f = tp.Fields[i] // (names are valid UTF-8: so is the key)
					} else {
						key = validKey(rawKey, key, esc)
						f, i = Lookup(tp, key)
					}
					next = i + 1
					if f != nil {
						if i < 64 {
							if seen&(1<<i) != 0 {
								s.pos = kstart
								return s.syntax("duplicate key " + strconv.Quote(key))
							}
							seen |= 1 << i
						} else {
							if seenHi == nil {
								seenHi = make([]uint64, (len(tp.Fields)+63)/64)
							}
							if seenHi[i/64]&(1<<(i%64)) != 0 {
								s.pos = kstart
								return s.syntax("duplicate key " + strconv.Quote(key))
							}
							seenHi[i/64] |= 1 << (i % 64)
						}
						if f.track >= 0 {
							mask |= 1 << f.track
						}
						child, field, pushed = f.T, f, true
					} else {
						if !s.uniqueKey(kbase, &keySet, rawKey, esc, kstart) {
							return false
						}
						if s.strict && !s.textOnly {
							s.vs.push(strings.Clone(key))
							s.vs.fail("is not a known field", nil)
							s.vs.pop()
						}
					}
				} else {
					if !s.uniqueKey(kbase, &keySet, rawKey, esc, kstart) {
						return false
					}
					// The key may point into the body: failures copy the path.
					child, name, pushed = tp.Elem, validKey(rawKey, key, esc), true
					if s.textOnly {
						if msg := mapKeyProblem(tp.T.Key(), name); msg != "" {
							s.vs.push(strings.Clone(name))
							s.badValue(msg, echo(name))
							s.vs.pop()
						}
					}
				}
			}
			switch {
			case quoted && field != nil && field.quoted != nil:
				s.vs.pushField(field)
				start := s.pos
				if ok = s.value(nil); ok && !s.textOnly {
					s.checkQuoted(field, s.data[start:s.pos])
				}
				s.vs.pop()
			case field != nil && child.leafy:
				s.vs.leafF, s.vs.hasLeaf = field, true
				outer := s.allowNUL
				s.allowNUL = field.allowNUL
				ok = s.value(child)
				s.allowNUL = outer
				s.vs.hasLeaf = false
			case field != nil:
				s.vs.pushField(field)
				outer := s.allowNUL
				s.allowNUL = field.allowNUL
				ok = s.value(child)
				s.allowNUL = outer
				s.vs.pop()
			case pushed:
				s.vs.push(name)
				ok = s.value(child)
				s.vs.pop()
			default:
				ok = s.value(child)
			}
			if !ok {
				return false
			}
			s.ws()
			if s.pos >= len(s.data) {
				return s.syntax("unexpected end of input in an object")
			}
			if s.data[s.pos] == ',' {
				s.pos++
				continue
			}
			if s.data[s.pos] == '}' {
				s.pos++
				break
			}
			return s.syntax("expected ',' or '}' in an object")
		}
	}
	s.depth--
	clear(s.keys[kbase:]) // they may point into the body
	s.keys = s.keys[:kbase]
	if tp != nil && tp.Kind == KindStruct && tp.tracked > 0 && mask != (uint64(1)<<tp.tracked)-1 && !s.textOnly {
		s.absentFields(tp, mask)
	}
	return true
}

// validKey returns an object key as encoding/json decodes it before
// matching it with a field name or storing it in a map: key is the raw
// text (esc false) or the unescaped key (esc true, which unquoteJSON made
// valid UTF-8 already); each byte of invalid UTF-8 in the raw text becomes
// U+FFFD. So "\xff" and "\xfe" are the same key, as they are to
// encoding/json: a duplicate.
func validKey(raw []byte, key string, esc bool) string {
	if esc || utf8.Valid(raw) {
		return key
	}
	return unquoteRaw(raw)
}

// uniqueKey records a key of the object whose keys start at s.keys[base]
// and reports false (a syntax error at the key) when the object had it
// already. Small objects are searched linearly; from 32 keys on the keys
// go into a set, so a hostile object with many keys costs linear time.
func (s *jsonScanner) uniqueKey(base int, set *map[string]struct{}, raw []byte, esc bool, at int) bool {
	key := bstr(raw)
	if esc {
		key = unquoteJSON(raw)
	}
	key = validKey(raw, key, esc)
	dup := false
	if *set != nil {
		_, dup = (*set)[key]
		if !dup {
			(*set)[key] = struct{}{}
		}
	} else {
		keys := s.keys[base:]
		for _, k := range keys {
			if k == key {
				dup = true
				break
			}
		}
		if !dup {
			s.keys = append(s.keys, key)
			if len(keys)+1 >= 32 {
				m := make(map[string]struct{}, 64)
				for _, k := range s.keys[base:] {
					m[k] = struct{}{}
				}
				*set = m
			}
		}
	}
	if dup {
		s.pos = at
		return s.syntax("duplicate key " + strconv.Quote(key))
	}
	return true
}

// absentFields handles the tracked fields missing from an object: required
// ones are reported, defaults are noted for later, and optional ones are
// marked so that their zero value is not checked.
func (s *jsonScanner) absentFields(tp *TypePlan, mask uint64) {
	vs := s.vs
	for _, f := range tp.Fields {
		if f.track < 0 || mask&(1<<f.track) != 0 {
			continue
		}
		if f.HasDefault {
			s.defaults = append(s.defaults, absentDefault{path: append([]pathSeg(nil), vs.path...), f: f})
			continue
		}
		vs.pushField(f)
		ptr := vs.pointer()
		vs.absent = append(vs.absent, ptr)
		if f.Required {
			vs.add(FieldError{Location: "body", Field: dottedPath("", vs.path), Pointer: ptr, Message: "is required"})
		}
		vs.pop()
	}
}

func (s *jsonScanner) array(tp *TypePlan) bool {
	var elem *TypePlan
	if tp != nil {
		if tp.Kind == KindSlice || tp.Kind == KindArray {
			elem = tp.Elem
		} else {
			s.typeErr(typeMessage(tp))
		}
	}
	if !s.enter() {
		return false
	}
	s.pos++
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		s.arrayLen(tp, 0)
		return true
	}
	n := 0
	for i := 0; ; i++ {
		n++
		var ok bool
		switch {
		case elem != nil && elem.leafy:
			s.vs.leafF, s.vs.leafIdx, s.vs.hasLeaf = nil, i, true
			ok = s.value(elem)
			s.vs.hasLeaf = false
		case elem != nil:
			s.vs.pushIdx(i)
			ok = s.value(elem)
			s.vs.pop()
		default:
			ok = s.value(elem)
		}
		if !ok {
			return false
		}
		s.ws()
		if s.pos >= len(s.data) {
			return s.syntax("unexpected end of input in an array")
		}
		if s.data[s.pos] == ',' {
			s.pos++
			continue
		}
		if s.data[s.pos] == ']' {
			s.pos++
			break
		}
		return s.syntax("expected ',' or ']' in an array")
	}
	s.depth--
	s.arrayLen(tp, n)
	return true
}

// arrayLen refuses a JSON array of n items for a Go array of another
// length, as the schema does (minItems = maxItems = the length):
// encoding/json drops the extra items and zero-fills the missing ones, so
// the handler would see other data than the client sent.
func (s *jsonScanner) arrayLen(tp *TypePlan, n int) {
	if tp != nil && tp.Kind == KindArray && n != tp.T.Len() {
		s.typeErr("must have exactly " + strconv.Itoa(tp.T.Len()) + " items")
	}
}

// applyDefaults sets the defaults of fields absent from the body, after decoding.
func applyDefaults(root *TypePlan, p unsafe.Pointer, defs []absentDefault) {
	for _, d := range defs {
		tp, q := navigate(root, p, d.path)
		if q == nil || tp.Kind != KindStruct {
			continue
		}
		reflect.NewAt(d.f.T.T, unsafe.Add(q, d.f.Offset)).Elem().Set(freshDefault(d.f))
	}
}

// navigate follows a path of fields and indexes through a decoded value.
// Values inside maps are not addressable and are not reached.
func navigate(tp *TypePlan, p unsafe.Pointer, path []pathSeg) (*TypePlan, unsafe.Pointer) {
	deref := func() {
		for tp.Kind == KindPtr && p != nil {
			p = *(*unsafe.Pointer)(p)
			tp = tp.Elem
		}
	}
	deref()
	for _, seg := range path {
		if p == nil {
			return nil, nil
		}
		switch tp.Kind {
		case KindStruct:
			var f *FieldPlan
			for _, ff := range tp.Fields {
				if ff.Name == seg.Name {
					f = ff
					break
				}
			}
			if f == nil {
				return nil, nil
			}
			p, tp = unsafe.Add(p, f.Offset), f.T
		case KindSlice:
			h := (*sliceHeader)(p)
			if seg.idx < 0 || seg.idx >= h.len {
				return nil, nil
			}
			p, tp = unsafe.Add(h.data, uintptr(seg.idx)*tp.Elem.T.Size()), tp.Elem
		case KindArray:
			if seg.idx < 0 || seg.idx >= tp.T.Len() {
				return nil, nil
			}
			p, tp = unsafe.Add(p, uintptr(seg.idx)*tp.Elem.T.Size()), tp.Elem
		default:
			return nil, nil
		}
		deref()
	}
	if p == nil {
		return nil, nil
	}
	return tp, p
}

// DecodeJSON scans data against tp, then decodes it into the value v points
// to (v holds a pointer to a value of tp's type) with codec — or, when
// codec is nil, with the plan-driven decoder, which gives what
// encoding/json gives (jsondecode.go) — applies
// defaults and validates. Failures go to vs (422) or come back as an error
// (400 syntax).
func DecodeJSON(codec Codec, data []byte, tp *TypePlan, v any, vs *State, o Options) error {
	return decodeJSON(codec, data, tp, Ptr(v), vs, o)
}

func decodeJSON(codec Codec, data []byte, tp *TypePlan, p unsafe.Pointer, vs *State, o Options) error {
	sc := jsonScanner{data: data, maxDepth: o.MaxDepth, strict: o.Strict, vs: vs}
	if sc.maxDepth <= 0 {
		sc.maxDepth = DefaultMaxJSONDepth
	}
	vs.Loc = LocBody
	if !sc.scan(tp) {
		e := newError(http.StatusBadRequest, sc.err.Error())
		e.Cause, e.Offset = sc.err, sc.err.Offset
		return e
	}
	if sc.blocking > 0 {
		return nil // values of the wrong type: the decoder would stop at the first
	}
	var err error
	if codec == nil {
		err = decodePlanned(data, tp, p)
	} else {
		err = codec.Unmarshal(data, reflect.NewAt(tp.T, p).Interface())
	}
	if err != nil {
		// Find the text values their UnmarshalText refuses, with their
		// paths; the scan found everything else already.
		n := len(vs.errs)
		again := jsonScanner{data: data, maxDepth: sc.maxDepth, vs: vs, textOnly: true}
		again.scan(tp)
		if len(vs.errs) == n {
			vs.add(decodeFieldError(err))
		}
		return nil
	}
	if len(sc.defaults) > 0 {
		applyDefaults(tp, p, sc.defaults)
	}
	vs.checkValue(tp, nil, p)
	return nil
}

// decodeFieldError turns a decoder error the scan could not foresee (a
// TextUnmarshaler refusing its text, an UnmarshalJSON method failing) into a
// field error.
func decodeFieldError(err error) FieldError {
	fe := FieldError{Location: "body", Message: "could not be decoded"}
	var te *stdjson.UnmarshalTypeError
	if errors.As(err, &te) {
		fe.Field = te.Field
	}
	if fe.Field != "" {
		fe.Pointer = "/" + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(fe.Field, "~", "~0"), "/", "~1"), ".", "/")
	}
	var inner error = err
	if u := errors.Unwrap(err); u != nil {
		inner = u
	}
	msg := inner.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	fe.Message = "could not be decoded: " + msg
	return fe
}

// skipWS returns the position of the first byte at or after pos in data
// that is not JSON whitespace: the slow path of the scanner's and the
// decoder's ws.
func skipWS(data []byte, pos int) int {
	for pos < len(data) {
		switch data[pos] {
		case ' ', '\t', '\n', '\r':
			pos++
		default:
			return pos
		}
	}
	return pos
}

// mapKeyProblem says why encoding/json refuses key for a map with keys of
// type k ("" when it takes it): found in the pass after a failed decode, so
// the 422 names the key instead of the map with the decoder's message
// ("cannot unmarshal number abc into Go struct field .im of type int").
func mapKeyProblem(k reflect.Type, key string) string {
	if reflect.PointerTo(k).Implements(textUnmarshalerT) {
		u := reflect.New(k).Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(key)); err != nil {
			return "is not a valid key: " + clipMessage(err.Error())
		}
		return ""
	}
	var err error
	want := "an integer"
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(key, 10, k.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		_, err = strconv.ParseUint(key, 10, k.Bits())
		want = "a non-negative integer"
	}
	switch {
	case err == nil:
		return ""
	case errors.Is(err, strconv.ErrRange):
		return "is not a valid key: out of range for " + k.Kind().String()
	}
	return "is not a valid key: must be " + want
}
