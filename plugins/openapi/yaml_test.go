package openapi_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/covetgo/covet/plugins/openapi"
)

// TestYAMLRoundTrip: the YAML documents, read back with go.yaml.in/yaml/v3,
// are the JSON documents (every string stays a string, every number a
// number).
func TestYAMLRoundTrip(t *testing.T) {
	for _, v := range []openapi.SpecVersion{openapi.V31, openapi.V30} {
		t.Run(string(v), func(t *testing.T) {
			var fromJSON, fromYAML any
			if err := json.Unmarshal(exportDoc(t, v, openapi.JSON), &fromJSON); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(exportDoc(t, v, openapi.YAML), &fromYAML); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fromJSON, normalize(fromYAML)) {
				a, _ := json.Marshal(fromJSON)
				b, _ := json.Marshal(normalize(fromYAML))
				t.Errorf("YAML and JSON differ:\n%s\n%s", a, b)
			}
		})
	}
}

// normalize turns YAML's decoded numbers into float64, as encoding/json has them.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return v
}

// TestYAMLStrings: strings that YAML would read as something else are quoted.
func TestYAMLStrings(t *testing.T) {
	for _, s := range []string{"true", "No", "null", "~", "1.5", "0x10", "2024-01-02", "-a", "a: b", "a #b", "", " a", "a\nb", "é", "{x}", "[x]", "*x", "&x", "!x", "%x", "@x", "`x", "'x", "\"x", "a:", "?x", "|x", ">x", ".inf", "01", "1e3"} {
		var out struct{ V any }
		doc := "v: " + yamlOf(t, s)
		if err := yaml.Unmarshal([]byte(doc), &out); err != nil {
			t.Errorf("%q: %v (%s)", s, err, doc)
			continue
		}
		if out.V != s {
			t.Errorf("%q came back as %#v (%s)", s, out.V, doc)
		}
	}
}

func yamlOf(t *testing.T, s string) string { return openapi.YAMLString(s) }
