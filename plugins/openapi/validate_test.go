package openapi_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

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

// TestDocuments31ValidateWithLibopenapi validates the 3.1 document against
// the OpenAPI 3.1 specification schema with pb33f/libopenapi-validator
// (and the 3.0.3 document against 3.0's).
func TestDocumentsValidateWithLibopenapi(t *testing.T) {
	for _, v := range []openapi.SpecVersion{openapi.V31, openapi.V30} {
		t.Run(string(v), func(t *testing.T) {
			data := exportDoc(t, v, openapi.JSON)
			doc, err := libopenapi.NewDocument(data)
			if err != nil {
				t.Fatal(err)
			}
			if got := doc.GetVersion(); got != string(v) {
				t.Fatalf("version %q", got)
			}
			model, err := doc.BuildV3Model()
			if err != nil {
				t.Fatalf("build model: %v", err)
			}
			if model.Model.Paths.PathItems.Len() == 0 {
				t.Fatal("no paths")
			}
			val, errs := validator.NewValidator(doc)
			if len(errs) > 0 {
				t.Fatalf("validator: %v", errs)
			}
			ok, verrs := val.ValidateDocument()
			for _, e := range verrs {
				t.Errorf("libopenapi-validator: %s: %s", e.Message, e.Reason)
				for _, se := range e.SchemaValidationErrors {
					t.Errorf("  %s at %s (%s)", se.Reason, se.FieldPath, se.KeywordLocation)
				}
			}
			if !ok && len(verrs) == 0 {
				t.Error("document reported invalid without errors")
			}
		})
	}
}
