package openapitest

import (
	"reflect"
	"strings"
	"testing"
)

type tagged struct {
	Name string   `json:"name" maxLength:"5" pattern:"^a"`
	Tags []string `json:"tags" maxItems:"3" enum:"x,y"`
}

// TestTagsMissingFromDocument: a constraint of the struct tags that the
// document does not declare (or declares otherwise) is reported.
func TestTagsMissingFromDocument(t *testing.T) {
	doc := map[string]any{"components": map[string]any{"schemas": map[string]any{}}}
	c := &checker{s: newSchemas(doc)}
	op := map[string]any{"requestBody": map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
		"type": "object",
		"properties": map[string]any{
			"name": map[string]any{"type": "string", "pattern": "^b"},
			"tags": map[string]any{"type": "array", "maxItems": 3.0, "items": map[string]any{"type": "string", "enum": []any{"x", "y"}}},
		},
		"required": []any{"name", "tags"},
	}}}}}
	base := &request{kind: "json"}
	var msgs []string
	for _, f := range bodyFields(reflect.TypeFor[tagged](), nil, 0) {
		for _, key := range checkedTags {
			if val, ok := f.tags.Lookup(key); ok {
				if m := c.declared(op, base, f, key, val); m != "" {
					msgs = append(msgs, f.label()+" "+key+": "+m)
				}
			}
		}
	}
	got := strings.Join(msgs, "\n")
	want := "/name maxLength: the document does not declare it\n/name pattern: the document says \"^b\""
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

type oddNames struct {
	Price float64 `json:"price€" minimum:"1"`
	//lint:ignore SA5008 a field named "-"
	Dash string `json:"-," maxLength:"3"`
	Skip string `json:"-" maxLength:"3"`
}

// TestBodyFieldsUseEncodingJSONNames: the fields are looked for under the
// names encoding/json (and Covet's schema) give them.
func TestBodyFieldsUseEncodingJSONNames(t *testing.T) {
	var got []string
	for _, f := range bodyFields(reflect.TypeFor[oddNames](), nil, 0) {
		got = append(got, f.label())
	}
	if strings.Join(got, " ") != "/Price /-" {
		t.Fatalf("fields %v, want /Price /-", got)
	}
}
