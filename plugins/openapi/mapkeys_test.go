package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
)

type intKeyed struct {
	ByID map[int64]string `json:"by_id"`
}

// A map with integer keys was documented as any object, though the handler
// refuses a key that is not an integer: 3.1 states the keys with
// propertyNames; 3.0, which has no such keyword, leaves it out. Both
// documents validate.
func TestIntegerMapKeysDocumented(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/m", func(c *covet.Context, in *intKeyed) (*intKeyed, error) { return in, nil })
	for v, want := range map[openapi.SpecVersion]string{
		openapi.V31: `{"type":"string","pattern":"^-?[0-9]+$"}`,
		openapi.V30: `null`,
	} {
		var buf bytes.Buffer
		if err := openapi.Export(app, &buf, openapi.WithSpecVersion(v), openapi.WithFormat(openapi.JSON)); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Components struct {
				Schemas map[string]struct {
					Properties map[string]map[string]json.RawMessage `json:"properties"`
				} `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if raw := doc.Components.Schemas["intKeyed"].Properties["by_id"]["propertyNames"]; raw == nil {
			compact.WriteString("null")
		} else if err := json.Compact(&compact, raw); err != nil {
			t.Fatal(err)
		}
		got := compact.String()
		if got != want {
			t.Errorf("%s: propertyNames %s, want %s", v, got, want)
		}
		loaded, err := openapi3.NewLoader().LoadFromData(buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if err := loaded.Validate(context.Background()); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}
