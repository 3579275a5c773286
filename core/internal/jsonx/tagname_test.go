package jsonx

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestValidTagNameMatchesEncodingJSON: a name ValidTagName accepts is the key
// json.Marshal writes; one it refuses makes json.Marshal use the Go name
// (json:"-" alone, which skips the field, callers handle first).
func TestValidTagNameMatchesEncodingJSON(t *testing.T) {
	names := []string{"a", "price", "price€", "a b", "a-b", "a.b", "x!#$%&()*+-./:;<=>?@[]^_{|}~", "日本", "a\\b", "a'b",
		"é", "a\u00a0b", "a\tb", "٣", "ⅷ", "a,b", "-,", "", "_", "😀", "a\u200bb"}
	for _, name := range names {
		typ := reflect.StructOf([]reflect.StructField{{Name: "Field", Type: reflect.TypeOf(0),
			Tag: reflect.StructTag(`json:` + strconv.Quote(name))}})
		b, err := json.Marshal(reflect.New(typ).Elem().Interface())
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		_, usedTag := m[strings.SplitN(name, ",", 2)[0]]
		if got := ValidTagName(strings.SplitN(name, ",", 2)[0]); got != usedTag {
			t.Errorf("ValidTagName(%q) = %v, encoding/json used the tag: %v (%s)", name, got, usedTag, b)
		}
	}
}
