package covettest_test

import (
	"net/http"
	"testing"

	"github.com/covetgo/covet/core/covettest"
)

// TestFileContentType: File parts carry the type of their filename's
// extension, as a browser sends them (they were all
// application/octet-stream, so a handler checking an image's type could
// not be tested with File); FileWithType and FileReader set any type.
func TestFileContentType(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fh := r.MultipartForm.File["f"][0]
		_, _ = w.Write([]byte(fh.Header.Get("Content-Type")))
	})
	c := covettest.New(t, h)
	for _, tc := range []struct {
		name, filename, want string
		send                 func(*covettest.Request) *covettest.Request
	}{
		{"png by extension", "photo.png", "image/png", nil},
		{"upper-case extension", "PHOTO.JPG", "image/jpeg", nil},
		{"pdf", "report.pdf", "application/pdf", nil},
		{"json", "data.json", "application/json", nil},
		{"windows path", `C:\Users\x\scan.png`, "image/png", nil},
		{"no extension", "README", "application/octet-stream", nil},
		{"unknown extension", "blob.covet-unknown", "application/octet-stream", nil},
		{"caller's type", "photo.png", "image/webp", func(r *covettest.Request) *covettest.Request {
			return r.FileWithType("f", "photo.png", "image/webp", []byte("RIFF"))
		}},
		{"lying client", "evil.png", "text/html", func(r *covettest.Request) *covettest.Request {
			return r.FileWithType("f", "evil.png", "text/html", []byte("<script>"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := c.Post("/")
			if tc.send != nil {
				req = tc.send(req)
			} else {
				req = req.File("f", tc.filename, []byte("\x89PNG\r\n\x1a\n"))
			}
			req.Do().ExpectStatus(200).ExpectBody(tc.want)
			if tc.send == nil {
				if got := covettest.FileContentType(tc.filename); got != tc.want {
					t.Errorf("FileContentType(%q) = %q, want %q", tc.filename, got, tc.want)
				}
			}
		})
	}
}
