package openapi

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/covetgo/covet/core/schema"
)

type parityInner struct {
	A string `json:"a" example:"x"`
}

type parityOuter struct {
	N      *int               `json:"n" enum:"1,2" minimum:"0"`
	F32    float32            `json:"f32"`
	U32    uint32             `json:"u32"`
	Tiny   float64            `json:"tiny" multipleOf:"0.0000001" exclusiveMinimum:"0"`
	Ptr    *parityInner       `json:"ptr" doc:"optional inner"`
	In     parityInner        `json:"in" deprecated:"true"`
	List   []parityInner      `json:"list" minItems:"1"`
	Map    map[string][]int8  `json:"map,omitempty"`
	When   time.Time          `json:"when"`
	Kind   string             `json:"kind" enum:"a,b" default:"a" pattern:"^[a-z]$"`
	Points map[string]float64 `json:"points" example:"{\"x\":1,\"a\":2.5}"`
}

// TestSchema31MatchesCore: the tree schema31 builds encodes to exactly the
// JSON core's Schema.MarshalJSON writes, for every schema of a type using
// every keyword.
func TestSchema31MatchesCore(t *testing.T) {
	reg := schema.NewRegistry("")
	top, err := reg.Schema(reflect.TypeFor[parityOuter]())
	if err != nil {
		t.Fatal(err)
	}
	all := []*schema.Schema{top}
	for _, s := range reg.Components() {
		all = append(all, s)
	}
	for _, s := range all {
		want, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := encodeJSON(&got, schema31(s)); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("schema31:\n got  %s\n want %s", got.String(), want)
		}
	}
}

func TestSchema30(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"nullable type", `{"type":["string","null"],"format":"date-time"}`, `{"type":"string","format":"date-time","nullable":true}`},
		{"nullable ref", `{"anyOf":[{"$ref":"#/c/A"},{"type":"null"}],"description":"d"}`, `{"allOf":[{"$ref":"#/c/A"}],"description":"d","nullable":true}`},
		{"plain ref", `{"$ref":"#/c/A"}`, `{"$ref":"#/c/A"}`},
		{"ref with siblings", `{"$ref":"#/c/A","description":"d","deprecated":true}`, `{"allOf":[{"$ref":"#/c/A"}],"description":"d","deprecated":true}`},
		{"examples", `{"type":"string","examples":["a","b"]}`, `{"type":"string","example":"a"}`},
		{"exclusive bounds", `{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":100}`, `{"type":"number","exclusiveMinimum":true,"exclusiveMaximum":true,"minimum":0,"maximum":100}`},
		{"inclusive stricter", `{"type":"integer","minimum":5,"exclusiveMinimum":3}`, `{"type":"integer","minimum":5}`},
		{"exclusive stricter", `{"type":"integer","minimum":1,"exclusiveMinimum":3}`, `{"type":"integer","minimum":3,"exclusiveMinimum":true}`},
		{"nullable enum", `{"type":["string","null"],"enum":["a",null]}`, `{"type":"string","enum":["a",null],"nullable":true}`},
		{"type list", `{"type":["string","integer"]}`, `{"anyOf":[{"type":"string"},{"type":"integer"}]}`},
		{"const", `{"const":3}`, `{"enum":[3]}`},
		{"nested", `{"type":"object","properties":{"a":{"type":["integer","null"]},"b":{"type":"array","items":{"anyOf":[{"$ref":"#/c/B"},{"type":"null"}]}}},"additionalProperties":{"examples":[1]}}`,
			`{"type":"object","properties":{"a":{"type":"integer","nullable":true},"b":{"type":"array","items":{"allOf":[{"$ref":"#/c/B"}],"nullable":true}}},"additionalProperties":{"example":1}}`},
		{"any", `{}`, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := decodeTree([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := encodeJSON(&b, schema30(in)); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("\n got  %s\n want %s", b.String(), tt.want)
			}
		})
	}
}

func TestRelativeURL(t *testing.T) {
	tests := []struct{ from, to, want string }{
		{"/docs", "/docs/assets/a.js", "docs/assets/a.js"},
		{"/docs", "/openapi.json", "openapi.json"},
		{"/api/v1/docs", "/api/v1/openapi.json", "openapi.json"},
		{"/api/ui", "/static/docs/x.js", "../static/docs/x.js"},
		{"/a/b/c", "/a/x", "../x"},
		{"/docs/", "/docs/assets/a.js", "assets/a.js"},
		{"/docs", "/c:d", "./c:d"},
	}
	for _, tt := range tests {
		if got := relativeURL(tt.from, tt.to); got != tt.want {
			t.Errorf("relativeURL(%q, %q) = %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestDerivedID(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/users/{id}/posts", "getUsersByIdPosts"},
		{"POST", "/", "post"},
		{"DELETE", "/api/v1/user-groups/{group_id}", "deleteApiV1UserGroupsByGroupId"},
	}
	for _, tt := range tests {
		if got := derivedID(tt.method, tt.path); got != tt.want {
			t.Errorf("derivedID(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}
