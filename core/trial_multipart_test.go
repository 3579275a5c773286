package covet_test

import (
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

type trialUpload struct {
	Title string        `form:"title" required:"true"`
	Tags  []string      `form:"tag"`
	Doc   *covet.File   `form:"doc" required:"true"`
	Extra []*covet.File `form:"extra"`
}

type trialUploadOut struct {
	Title  string `json:"title"`
	Doc    string `json:"doc"`
	Extras int    `json:"extras"`
}

// A multipart part without a filename sent for a file field was skipped:
// the handler saw no file and, for an optional field, no error (a partial
// success); a required one was "is required", though the client sent it.
// A file sent for a text field was likewise "is required". Both now name
// the field and what is wrong, as FastAPI does.
func TestMultipartPartOfTheWrongKind(t *testing.T) {
	app := covet.New()
	covet.Post(app, "/up", func(c *covet.Context, in *trialUpload) (*trialUploadOut, error) {
		return &trialUploadOut{Title: in.Title, Doc: in.Doc.Filename, Extras: len(in.Extra)}, nil
	})
	cl := covettest.New(t, app)
	part := func(name, filename, content string) string {
		fn := ""
		if filename != "-" {
			fn = `; filename="` + filename + `"`
		}
		return "--B\r\nContent-Disposition: form-data; name=\"" + name + "\"" + fn + "\r\n\r\n" + content + "\r\n"
	}
	send := func(parts ...string) *covettest.Response {
		return cl.Post("/up").Body("multipart/form-data; boundary=B", strings.NewReader(strings.Join(parts, "")+"--B--\r\n")).Do()
	}
	for _, tc := range []struct {
		name  string
		parts []string
		field string
		msg   string
	}{
		{"text for a required file", []string{part("title", "-", "T"), part("doc", "-", "not a file")}, "doc", "must be a file (a part with a filename)"},
		{"text for an optional file list", []string{part("title", "-", "T"), part("doc", "a.txt", "x"), part("extra", "-", "oops")}, "extra", "must be a file (a part with a filename)"},
		{"file for a text field", []string{part("title", "t.txt", "T"), part("doc", "a.txt", "x")}, "title", "must be a text field, not a file"},
		{"file among a text list", []string{part("title", "-", "T"), part("tag", "-", "a"), part("tag", "t.txt", "b"), part("doc", "a.txt", "x")}, "tag", "must be a text field, not a file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := send(tc.parts...).ExpectStatus(422).Problem()
			if len(p.Errors) != 1 || p.Errors[0].Field != tc.field || p.Errors[0].Message != tc.msg || p.Errors[0].Location != "form" {
				t.Errorf("errors %+v, want one on %s: %s", p.Errors, tc.field, tc.msg)
			}
		})
	}
	var out trialUploadOut
	send(part("title", "-", "T"), part("tag", "-", "a"), part("doc", "a.txt", "x"), part("extra", "b.txt", "y"), part("extra", "c.txt", "z")).
		ExpectStatus(200).Decode(&out)
	if out != (trialUploadOut{Title: "T", Doc: "a.txt", Extras: 2}) {
		t.Errorf("out %+v", out)
	}
	send(part("title", "-", "T")).ExpectStatus(422).ExpectBodyContains(`"field":"doc","message":"is required"`)
}
