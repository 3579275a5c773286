package orm

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestPlainJSONStringsAsEncodingJSON: whatever plainJSONStrings accepts, it
// decodes exactly as encoding/json does (nil vs empty included); what it
// refuses, encoding/json decodes instead.
func TestPlainJSONStringsAsEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`[]`, `["a"]`, `["a","bb",""]`, `["é","日本"]`, `["say \"hi\""]`, `["a\\b"]`, `["\u00e9"]`, `null`, `[ "a" ]`,
		`["a",]`, `[,]`, `["a""b"]`, `["a"`, `"a"]`, `[1]`, `["a",1]`, "[\"\xff\"]", "[\"a\tb\"]", `[""]`, `["a","b"] `, ``, `[`,
		"[\"\x7f\"]", `["<tag>&"]`,
	} {
		got, ok := plainJSONStrings([]byte(in))
		if !ok {
			continue
		}
		var want []string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Errorf("%q: accepted, encoding/json says %v", in, err)
			continue
		}
		if !reflect.DeepEqual(got, want) || (got == nil) != (want == nil) {
			t.Errorf("%q: %#v, encoding/json %#v", in, got, want)
		}
	}
	for _, in := range []string{`[]`, `["a","bb",""]`, `["é"]`} {
		if _, ok := plainJSONStrings([]byte(in)); !ok {
			t.Errorf("%q: not taken", in)
		}
	}
}
