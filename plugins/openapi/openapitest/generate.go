package openapitest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// schemas resolves references and builds values from a document's schemas.
type schemas struct {
	doc  map[string]any
	defs map[string]any // components.schemas
}

func newSchemas(doc map[string]any) *schemas {
	s := &schemas{doc: doc}
	if c, ok := doc["components"].(map[string]any); ok {
		s.defs, _ = c["schemas"].(map[string]any)
	}
	return s
}

// resolve follows $ref and unwraps a nullable anyOf [X, {"type": "null"}];
// it reports whether null is allowed.
func (s *schemas) resolve(v any) (map[string]any, bool) {
	sc, _ := v.(map[string]any)
	nullable := false
	for i := 0; i < 32 && sc != nil; i++ {
		if ref, ok := sc["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/components/schemas/")
			next, _ := s.defs[name].(map[string]any)
			sc = next
			continue
		}
		if alts, ok := sc["anyOf"].([]any); ok && len(alts) == 2 {
			var other any
			for _, a := range alts {
				if am, ok := a.(map[string]any); ok && am["type"] == "null" && len(am) == 1 {
					nullable = true
				} else {
					other = a
				}
			}
			if nullable && other != nil {
				sc, _ = other.(map[string]any)
				continue
			}
		}
		break
	}
	if sc == nil {
		return map[string]any{}, nullable
	}
	if arr, ok := sc["type"].([]any); ok {
		for _, t := range arr {
			if t == "null" {
				nullable = true
			}
		}
	}
	return sc, nullable
}

// typeOf returns a schema's type, ignoring "null".
func typeOf(sc map[string]any) string {
	switch t := sc["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				return s
			}
		}
	}
	return ""
}

func numKey(sc map[string]any, k string) (float64, bool) {
	switch n := sc[k].(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

func intKey(sc map[string]any, k string) (int, bool) {
	f, ok := numKey(sc, k)
	return int(f), ok
}

// valid builds a value the schema accepts; variant makes distinct values
// for array elements. ok is false when no value can be built (a type
// nested too deep).
func (s *schemas) valid(v any, variant, depth int) (any, bool) {
	sc, nullable := s.resolve(v)
	if depth > 8 {
		if nullable {
			return nil, true
		}
		return nil, false
	}
	if enum, ok := sc["enum"].([]any); ok {
		var vals []any
		for _, e := range enum {
			if e != nil {
				vals = append(vals, e)
			}
		}
		if len(vals) > 0 {
			return vals[variant%len(vals)], true
		}
	}
	switch typeOf(sc) {
	case "string":
		return genString(sc, variant)
	case "integer", "number":
		f, ok := genNumber(sc, typeOf(sc) == "integer", variant)
		if !ok {
			return nil, false
		}
		return numberValue(f), true
	case "boolean":
		return variant%2 == 0, true
	case "array":
		n := 1
		if m, ok := intKey(sc, "minItems"); ok && m > n {
			n = m
		}
		if m, ok := intKey(sc, "maxItems"); ok && m < n {
			n = m
		}
		arr := []any{}
		for i := range n {
			e, ok := s.valid(sc["items"], variant+i, depth+1)
			if !ok {
				return nil, false
			}
			arr = append(arr, e)
		}
		return arr, true
	case "object":
		obj := map[string]any{}
		props, _ := sc["properties"].(map[string]any)
		req := requiredSet(sc)
		for name, p := range props {
			e, ok := s.valid(p, variant, depth+1)
			if !ok {
				if req[name] {
					return nil, false
				}
				continue
			}
			obj[name] = e
		}
		if ap, ok := sc["additionalProperties"].(map[string]any); ok {
			if e, ok := s.valid(ap, variant, depth+1); ok {
				key := "key" + strconv.Itoa(variant)
				if pn, ok := sc["propertyNames"].(map[string]any); ok && pn["pattern"] != nil {
					key = strconv.Itoa(variant) // integer keys: the only pattern core writes
				}
				obj[key] = e
			}
		}
		return obj, true
	}
	return "value", true
}

func requiredSet(sc map[string]any) map[string]bool {
	out := map[string]bool{}
	if req, ok := sc["required"].([]any); ok {
		for _, r := range req {
			if n, ok := r.(string); ok {
				out[n] = true
			}
		}
	}
	return out
}

// numberValue keeps integral values integers in JSON.
func numberValue(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// formatValue returns a value of a format.
func formatValue(format string, variant int) (string, bool) {
	switch format {
	case "email":
		return fmt.Sprintf("user%d@example.com", variant), true
	case "uuid":
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", variant+1), true
	case "uri":
		return fmt.Sprintf("https://example.com/r%d", variant), true
	case "date":
		return fmt.Sprintf("2024-01-%02d", variant%28+1), true
	case "date-time":
		return fmt.Sprintf("2024-01-02T03:04:%02dZ", variant%60), true
	case "time":
		return fmt.Sprintf("03:04:%02dZ", variant%60), true
	case "ipv4":
		return fmt.Sprintf("10.0.0.%d", variant%250+1), true
	case "ipv6":
		return fmt.Sprintf("2001:db8::%x", variant+1), true
	case "hostname":
		return fmt.Sprintf("host%d.example.com", variant), true
	case "byte":
		return base64.StdEncoding.EncodeToString([]byte("value" + strconv.Itoa(variant))), true
	}
	return "", false
}

// genString builds a string meeting the length, pattern and format rules.
func genString(sc map[string]any, variant int) (any, bool) {
	minLen, _ := intKey(sc, "minLength")
	maxLen, hasMax := intKey(sc, "maxLength")
	if !hasMax {
		maxLen = max(minLen, 64)
	}
	fits := func(s string) bool {
		n := utf8.RuneCountInString(s)
		return n >= minLen && n <= maxLen
	}
	if f, _ := sc["format"].(string); f != "" {
		if v, ok := formatValue(f, variant); ok {
			return v, true
		}
	}
	if p, ok := sc["pattern"].(string); ok {
		if v, ok := genPattern(p, minLen, maxLen, variant); ok {
			return v, true
		}
		return nil, false
	}
	n := min(max(6, minLen), maxLen)
	var b strings.Builder
	for i := range n {
		b.WriteByte(byte('a' + (variant+i)%26))
	}
	if !fits(b.String()) {
		return nil, false
	}
	return b.String(), true
}

// genPattern builds a string the regular expression matches, within the
// length bounds, trying repetition counts and branch choices.
func genPattern(pat string, minLen, maxLen, variant int) (string, bool) {
	re, err := regexp.Compile(pat)
	if err != nil {
		return "", false
	}
	tree, err := syntax.Parse(pat, syntax.Perl)
	if err != nil {
		return "", false
	}
	tree = tree.Simplify()
	for v := variant; v < variant+8; v++ {
		for rep := 0; rep <= max(maxLen, 8) && rep < 80; rep++ {
			var b strings.Builder
			genRegexp(&b, tree, rep, v)
			s := b.String()
			for _, cand := range []string{s, padTo(s, minLen, 'a'), padTo(s, minLen, '0')} {
				n := utf8.RuneCountInString(cand)
				if n >= minLen && n <= maxLen && re.MatchString(cand) {
					return cand, true
				}
			}
		}
	}
	return "", false
}

func padTo(s string, n int, c byte) string {
	for utf8.RuneCountInString(s) < n {
		s += string(c)
	}
	return s
}

// genRegexp writes one string of the language of re: rep iterations for
// unbounded repeats, variant choosing among alternatives and characters.
func genRegexp(b *strings.Builder, re *syntax.Regexp, rep, variant int) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		b.WriteRune(pickRune(re.Rune, variant))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(byte('a' + variant%26))
	case syntax.OpCapture:
		genRegexp(b, re.Sub[0], rep, variant)
	case syntax.OpStar:
		for range rep {
			genRegexp(b, re.Sub[0], rep, variant)
		}
	case syntax.OpPlus:
		for range max(rep, 1) {
			genRegexp(b, re.Sub[0], rep, variant)
		}
	case syntax.OpQuest:
		if rep > 0 {
			genRegexp(b, re.Sub[0], rep, variant)
		}
	case syntax.OpRepeat:
		n := max(re.Min, rep)
		if re.Max >= 0 && n > re.Max {
			n = re.Max
		}
		for range n {
			genRegexp(b, re.Sub[0], rep, variant)
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			genRegexp(b, s, rep, variant)
		}
	case syntax.OpAlternate:
		genRegexp(b, re.Sub[variant%len(re.Sub)], rep, variant)
	}
}

// pickRune picks a character of a class, preferring letters and digits.
func pickRune(ranges []rune, variant int) rune {
	var in []rune
	for _, c := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
		for i := 0; i+1 < len(ranges); i += 2 {
			if c >= ranges[i] && c <= ranges[i+1] {
				in = append(in, c)
				break
			}
		}
	}
	if len(in) > 0 {
		return in[variant%len(in)]
	}
	if len(ranges) > 0 {
		return ranges[0]
	}
	return 'a'
}

// genNumber picks a number within the bounds that is a multiple of
// multipleOf.
func genNumber(sc map[string]any, isInt bool, variant int) (float64, bool) {
	ok := func(f float64) bool { return numberOK(sc, f, isInt) }
	cands := []float64{float64(1 + variant), float64(variant), 0}
	for _, k := range []string{"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"} {
		if b, has := numKey(sc, k); has {
			cands = append(cands, b, b+1, b-1, b+0.5, b-0.5, b+float64(variant))
		}
	}
	lo, hasLo := numKey(sc, "minimum")
	if e, has := numKey(sc, "exclusiveMinimum"); has && (!hasLo || e >= lo) {
		lo, hasLo = e, true
	}
	hi, hasHi := numKey(sc, "maximum")
	if e, has := numKey(sc, "exclusiveMaximum"); has && (!hasHi || e <= hi) {
		hi, hasHi = e, true
	}
	if hasLo && hasHi {
		cands = append(cands, (lo+hi)/2)
	}
	if m, has := numKey(sc, "multipleOf"); has && m > 0 {
		var more []float64
		for _, c := range cands {
			more = append(more, math.Ceil(c/m)*m, math.Floor(c/m)*m, math.Ceil(c/m)*m+m*float64(variant))
		}
		cands = append(more, cands...)
	}
	for _, c := range cands {
		if ok(c) {
			return c, true
		}
	}
	return 0, false
}

// numberOK checks a number against a schema's numeric keywords.
func numberOK(sc map[string]any, f float64, isInt bool) bool {
	if isInt && f != math.Trunc(f) {
		return false
	}
	if b, ok := numKey(sc, "minimum"); ok && f < b {
		return false
	}
	if b, ok := numKey(sc, "maximum"); ok && f > b {
		return false
	}
	if b, ok := numKey(sc, "exclusiveMinimum"); ok && f <= b {
		return false
	}
	if b, ok := numKey(sc, "exclusiveMaximum"); ok && f >= b {
		return false
	}
	if m, ok := numKey(sc, "multipleOf"); ok && m > 0 {
		q := f / m
		if math.Abs(q-math.Round(q)) > 1e-9 {
			return false
		}
	}
	return true
}
