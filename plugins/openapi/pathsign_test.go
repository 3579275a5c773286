package openapi_test

import (
	"bytes"
	"encoding/json"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
)

// {id:int} and {id:float} take no sign, so GET /items/-5 is a 404 from the
// router; bound to an int or float64 field, the parameter was documented as
// any integer or number. The document says minimum 0, as it did for the
// same converters without a field; a field's own non-negative bound stays.
func TestConverterPathParamsNotNegative(t *testing.T) {
	app := covet.New()
	covet.Get(app, "/i/{id:int}", func(c *covet.Context, in *struct {
		ID int `path:"id"`
	}) (*struct{}, error) {
		return nil, nil
	})
	covet.Get(app, "/f/{x:float}", func(c *covet.Context, in *struct {
		X float64 `path:"x"`
	}) (*struct{}, error) {
		return nil, nil
	})
	covet.Get(app, "/m/{id:int}", func(c *covet.Context, in *struct {
		ID int `path:"id" minimum:"10"`
	}) (*struct{}, error) {
		return nil, nil
	})
	covet.Get(app, "/s/{id}", func(c *covet.Context, in *struct {
		ID int `path:"id"`
	}) (*struct{}, error) {
		return nil, nil
	})
	var buf bytes.Buffer
	if err := openapi.Export(app, &buf, openapi.WithSpecVersion(openapi.V31), openapi.WithFormat(openapi.JSON)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]struct {
			Get struct {
				Parameters []struct {
					Schema struct {
						Minimum *float64 `json:"minimum"`
					} `json:"schema"`
				} `json:"parameters"`
			} `json:"get"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]float64{"/i/{id}": 0, "/f/{x}": 0, "/m/{id}": 10, "/s/{id}": -1} {
		ps := doc.Paths[path].Get.Parameters
		if len(ps) != 1 {
			t.Fatalf("%s: parameters %+v", path, ps)
		}
		got := ps[0].Schema.Minimum
		switch {
		case want < 0 && got != nil:
			t.Errorf("%s: minimum %v, want none (a plain {id} takes a sign)", path, *got)
		case want >= 0 && (got == nil || *got != want):
			t.Errorf("%s: minimum %v, want %v", path, got, want)
		}
	}
}
