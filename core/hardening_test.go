package covet_test

// Regression tests for the request-parsing defects of the hostile-input
// campaign (issue 13). Each test is named after its defect and failed before
// the fix.

import (
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// Defect 8: bidi overrides and other format characters (category Cf) stayed
// in upload file names, so "invoice\u202efdp.exe" displayed as "invoiceexe.pdf".
func TestUploadFilenameFormatCharactersStripped(t *testing.T) {
	cl := covettest.New(t, uploadApp(covet.MultipartLimits{}))
	for _, tc := range []struct{ name, sent, want string }{
		{"RLO", "invoice\u202efdp.exe", "invoicefdp.exe"},
		{"isolates", "\u2066a\u2067b\u2068c\u2069.txt", "abc.txt"},
		{"marks", "x\u200ey\u200f.txt", "xy.txt"},
		{"zero width and BOM", "a\u200bb\u200dc\ufeff.txt", "abc.txt"},
		{"only format characters", "\u202e\u202e", ""},
		{"dot-dot behind a format character", "..\u200b", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Written by hand: the test client would %q-escape the name.
			body := "--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nReport\r\n" +
				"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + tc.sent + "\"\r\n\r\nx\r\n--B--\r\n"
			var out uploadOut
			cl.Post("/upload").Body("multipart/form-data; boundary=B", strings.NewReader(body)).Do().ExpectStatus(200).Decode(&out)
			if out.Filename != tc.want {
				t.Errorf("filename %q, want %q", out.Filename, tc.want)
			}
		})
	}
}
