package covet_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type trialBytes struct {
	Data  []byte            `json:"data"`
	Files map[string][]byte `json:"files,omitempty"`
	List  [][]byte          `json:"list,omitempty"`
}

// A []byte field given a string that is not base64 was a 422 without the
// field: {"field":"","message":"could not be decoded: illegal base64 data
// at input byte 0"}. The failure names the field and its pointer, as every
// other wrong value does.
func TestInvalidBase64NamesTheField(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/b", func(c *covet.Context, in *trialBytes) (*trialBytes, error) { return in, nil })
	cl := covettest.New(t, app)
	for _, tc := range []struct{ body, field, pointer string }{
		{`{"data":"!!!"}`, "data", "/data"},
		{`{"data":"YWJj="}`, "data", "/data"},
		{`{"data":"YQ==","files":{"a.txt":"YQ==","b/c":"%%"}}`, "files.b/c", "/files/b~1c"},
		{`{"data":"YQ==","list":["YQ==","\u0021"]}`, "list.1", "/list/1"},
	} {
		p := cl.Post("/b").RawJSON(tc.body).Do().ExpectStatus(422).Problem()
		if len(p.Errors) != 1 || p.Errors[0].Field != tc.field || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Message != "must be a base64 string" {
			t.Errorf("%s: errors %+v, want one on %s (%s)", tc.body, p.Errors, tc.field, tc.pointer)
		}
	}
	cl.Post("/b").RawJSON(`{"data":"YWJj","list":["YQ=="]}`).Do().ExpectStatus(200).
		ExpectJSON(map[string]any{"data": "YWJj", "list": []any{"YQ=="}})
}
