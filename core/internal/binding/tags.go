package binding

import (
	"errors"
	"strconv"
	"strings"

	"github.com/covetgo/covet/core/internal/jsonx"
)

// The tag vocabulary of typed inputs and outputs. Location tags say where a
// parameter comes from; every other key is a JSON Schema keyword with the
// same meaning, compiled once per type into the validator and the schema.
var (
	locationTags = []string{"path", "query", "header", "cookie", "form"}
	schemaTags   = []string{
		"required", "minLength", "maxLength", "pattern", "format", "enum",
		"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
		"minItems", "maxItems", "uniqueItems", "default", "example", "doc", "deprecated",
		"allowNUL",
	}
	// confusableTags maps tag keys that look like a mistake to the key meant.
	confusableTags = map[string]string{
		"min": "minimum (numbers), minLength (strings) or minItems (slices)",
		"max": "maximum (numbers), maxLength (strings) or maxItems (slices)",
		"len": "minLength and maxLength", "minlen": "minLength", "maxlen": "maxLength",
		"min_length": "minLength", "max_length": "maxLength", "min_items": "minItems", "max_items": "maxItems",
		"regex": "pattern", "regexp": "pattern", "oneof": "enum", "one_of": "enum",
		"description": "doc", "desc": "doc", "examples": "example", "unique": "uniqueItems",
		"exclusiveMin": "exclusiveMinimum", "exclusiveMax": "exclusiveMaximum",
		"gt": "exclusiveMinimum", "lt": "exclusiveMaximum", "gte": "minimum", "lte": "maximum",
		"multiple_of": "multipleOf", "defaults": "default",
	}
)

type tagPair struct{ key, value string }

// parseTag splits a struct tag into key/value pairs, refusing the syntax
// errors reflect.StructTag.Get silently ignores.
func parseTag(tag string) ([]tagPair, error) {
	var out []tagPair
	for {
		i := 0
		for i < len(tag) && tag[i] == ' ' {
			i++
		}
		tag = tag[i:]
		if tag == "" {
			return out, nil
		}
		i = 0
		for i < len(tag) && tag[i] > ' ' && tag[i] != ':' && tag[i] != '"' && tag[i] != 0x7f {
			i++
		}
		if i == 0 || i+1 >= len(tag) || tag[i] != ':' || tag[i+1] != '"' {
			return nil, errors.New("malformed struct tag near `" + clipTag(tag) + "` (want key:\"value\" pairs separated by spaces)")
		}
		key := tag[:i]
		tag = tag[i+1:]
		i = 1
		for i < len(tag) && tag[i] != '"' {
			if tag[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(tag) {
			return nil, errors.New("malformed struct tag: unterminated value for key " + key)
		}
		qvalue := tag[:i+1]
		tag = tag[i+1:]
		value, err := strconv.Unquote(qvalue)
		if err != nil {
			return nil, errors.New("malformed struct tag value for key " + key)
		}
		out = append(out, tagPair{key, value})
	}
}

func clipTag(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// checkTagKey reports a tag key that is a likely misspelling of one of ours.
func checkTagKey(key string) error {
	for _, k := range schemaTags {
		if k == key {
			return nil
		}
		if strings.EqualFold(k, key) {
			return errors.New("unknown tag " + key + " (did you mean " + k + "? tags are case-sensitive)")
		}
	}
	for _, k := range locationTags {
		if k == key {
			return nil
		}
		if strings.EqualFold(k, key) {
			return errors.New("unknown tag " + key + " (did you mean " + k + "? tags are case-sensitive)")
		}
	}
	if want, ok := confusableTags[key]; ok {
		return errors.New("unknown tag " + key + " (Covet uses JSON Schema keywords: use " + want + ")")
	}
	// A near miss of one of our keys ("minimun") would silently disable a
	// rule: refuse it, unless it is another library's well-known tag.
	if len(key) >= 4 && !otherLibraryTags[key] {
		for _, k := range append(schemaTags[:len(schemaTags):len(schemaTags)], locationTags...) {
			max := 1
			if len(k) >= 7 {
				max = 2
			}
			if editDistance(key, k) <= max {
				return errors.New("unknown tag " + key + " (did you mean " + k + "?)")
			}
		}
	}
	return nil
}

// otherLibraryTags are tag keys of common libraries that are close to ours
// but mean something else.
var otherLibraryTags = map[string]bool{
	"json": true, "yaml": true, "toml": true, "bson": true, "gorm": true, "form": true,
	"param": true, "header": true, "query": true, "binding": true, "validate": true,
	"mapstructure": true, "msgpack": true, "protobuf": true, "xml": true, "envDefault": true,
	"default": true, "example": true, "format": true, "pattern": true,
}

// editDistance is the Levenshtein distance of two short ASCII strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// fieldTags is the parsed tag set of one struct field.
type fieldTags struct {
	json       string
	jsonSet    bool
	omitEmpty  bool
	quoted     bool // the ,string option
	skip       bool
	Loc        Location
	locName    string
	hasLoc     bool
	vals       map[string]string
	order      []string
	explicitRq int8 // -1 required:"false", 1 required:"true", 0 unset
}

func (ft *fieldTags) get(k string) (string, bool) {
	v, ok := ft.vals[k]
	return v, ok
}

func parseFieldTags(tag string) (*fieldTags, error) {
	pairs, err := parseTag(tag)
	if err != nil {
		return nil, err
	}
	ft := &fieldTags{vals: map[string]string{}}
	var foreign []tagPair // validate: and binding: tags, checked at the end
	for _, p := range pairs {
		if err := checkTagKey(p.key); err != nil {
			return nil, err
		}
		switch p.key {
		case "validate", "binding":
			foreign = append(foreign, p)
			continue
		case "json":
			name, opts, _ := strings.Cut(p.value, ",")
			if p.value == "-" { // (json:"-," names a field "-")
				ft.skip = true
				continue
			}
			if !jsonx.ValidTagName(name) {
				// encoding/json ignores a name it refuses (json:"price€")
				// and uses the Go name: so do the plan, the scan and the
				// schema, as the encoder does.
				name = ""
			}
			ft.json, ft.jsonSet = name, name != ""
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty", "omitzero":
					ft.omitEmpty = true
				case "string":
					ft.quoted = true
				}
			}
			continue
		case "path", "query", "header", "cookie", "form":
			if ft.hasLoc {
				return nil, errors.New("more than one location tag (" + ft.Loc.String() + " and " + p.key + ")")
			}
			name, _, _ := strings.Cut(p.value, ",")
			if name == "" {
				return nil, errors.New("empty " + p.key + " tag name")
			}
			ft.hasLoc, ft.Loc, ft.locName = true, locationFromTag(p.key), name
			continue
		}
		if !isSchemaTag(p.key) {
			continue // another library's tag (db, yaml, validate, ...)
		}
		if _, dup := ft.vals[p.key]; dup {
			return nil, errors.New("duplicate tag " + p.key)
		}
		ft.vals[p.key] = p.value
		ft.order = append(ft.order, p.key)
		if p.key == "required" {
			switch p.value {
			case "true":
				ft.explicitRq = 1
			case "false":
				ft.explicitRq = -1
			default:
				return nil, errors.New(`required must be "true" or "false", not ` + strconv.Quote(p.value))
			}
		}
	}
	for _, p := range foreign {
		if err := ft.checkForeignRules(p); err != nil {
			return nil, err
		}
	}
	return ft, nil
}

// validatorRules maps the rules of go-playground/validator (the validate:
// tag, and Gin's binding: tag) to the Covet tags that can express them.
var validatorRules = map[string][]string{
	"min": {"minLength", "minimum", "minItems"}, "max": {"maxLength", "maximum", "maxItems"},
	"len": {"minLength", "maxLength", "minItems", "maxItems", "pattern"},
	"gte": {"minimum", "minLength", "minItems"}, "gt": {"exclusiveMinimum", "minimum", "minLength", "minItems"},
	"lte": {"maximum", "maxLength", "maxItems"}, "lt": {"exclusiveMaximum", "maximum", "maxLength", "maxItems"},
	"eq": {"enum"}, "oneof": {"enum"}, "unique": {"uniqueItems"},
	"email": {"format"}, "url": {"format"}, "uri": {"format"}, "http_url": {"format"}, "uuid": {"format"},
	"uuid4": {"format"}, "ip": {"format"}, "ipv4": {"format"}, "ipv6": {"format"}, "hostname": {"format"},
	"hostname_rfc1123": {"format"}, "datetime": {"format"},
	"numeric": {"pattern"}, "number": {"pattern"}, "alpha": {"pattern"}, "alphanum": {"pattern"},
	"alphaunicode": {"pattern"}, "alphanumunicode": {"pattern"}, "hexadecimal": {"pattern"},
	"lowercase": {"pattern"}, "uppercase": {"pattern"}, "ascii": {"pattern"}, "printascii": {"pattern"},
	"startswith": {"pattern"}, "endswith": {"pattern"}, "contains": {"pattern"}, "excludes": {"pattern"},
}

// validatorHints says which Covet tag to write for a validator rule.
var validatorHints = map[string]string{
	"min": `minLength (strings), minimum (numbers) or minItems (slices)`,
	"max": `maxLength (strings), maximum (numbers) or maxItems (slices)`,
	"len": `minLength and maxLength (strings), minItems and maxItems (slices), or pattern`,
	"gte": "minimum", "gt": "exclusiveMinimum", "lte": "maximum", "lt": "exclusiveMaximum",
	"eq": "enum", "oneof": `enum:"a,b,c"`, "unique": `uniqueItems:"true"`,
	"email": `format:"email"`, "url": `format:"uri"`, "uri": `format:"uri"`, "http_url": `format:"uri"`,
	"uuid": `format:"uuid"`, "uuid4": `format:"uuid"`, "ip": `format:"ipv4" or format:"ipv6"`,
	"ipv4": `format:"ipv4"`, "ipv6": `format:"ipv6"`, "hostname": `format:"hostname"`,
	"hostname_rfc1123": `format:"hostname"`, "datetime": `format:"date-time" (or a time.Time field)`,
}

// checkForeignRules refuses a validate: or binding: tag whose rules no Covet
// tag on the field expresses: Covet does not run other validators, so such
// a rule would be silently ignored. A type shared with a validator-based
// stack passes when it carries the Covet equivalents too.
func (ft *fieldTags) checkForeignRules(p tagPair) error {
	if ft.skip && !ft.hasLoc {
		return nil // not bound
	}
	fail := func(rule, hint string) error {
		return errors.New(p.key + `:"` + p.value + `" is go-playground/validator's tag, which Covet does not run: rule ` +
			strconv.Quote(rule) + " has no Covet tag on this field; " + hint)
	}
	for _, rule := range strings.Split(p.value, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(rule), "=")
		switch name {
		case "", "-", "omitempty", "omitnil", "omitzero", "dive", "keys", "endkeys":
			continue
		case "required":
			body := !ft.hasLoc && !ft.omitEmpty && ft.explicitRq == 0
			if ft.explicitRq > 0 || body || ft.hasLoc && ft.Loc == LocPath {
				continue
			}
			return fail(rule, `use required:"true"`)
		}
		keys, known := validatorRules[name]
		if !known {
			return fail(rule, "express it with pattern or format, or check it in a Validate() error method on the input")
		}
		covered := false
		for _, k := range keys {
			if _, ok := ft.vals[k]; ok {
				covered = true
				break
			}
		}
		if !covered {
			hint := validatorHints[name]
			if hint == "" {
				hint = keys[0]
			}
			return fail(rule, "use "+hint)
		}
	}
	return nil
}

func isSchemaTag(k string) bool {
	for _, s := range schemaTags {
		if s == k {
			return true
		}
	}
	return false
}

// Location is where a typed input field is read from.
type Location uint8

const (
	LocBody Location = iota
	LocPath
	LocQuery
	LocHeader
	LocCookie
	LocForm
)

// String returns the location's name as used in FieldError.Location and
// OpenAPI's "in".
func (l Location) String() string {
	switch l {
	case LocPath:
		return "path"
	case LocQuery:
		return "query"
	case LocHeader:
		return "header"
	case LocCookie:
		return "cookie"
	case LocForm:
		return "form"
	}
	return "body"
}

func locationFromTag(k string) Location {
	switch k {
	case "path":
		return LocPath
	case "query":
		return LocQuery
	case "header":
		return LocHeader
	case "cookie":
		return LocCookie
	}
	return LocForm
}
