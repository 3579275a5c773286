package openapi_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/covetgo/covet/plugins/openapi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGolden compares the test app's documents with the reviewed files in
// testdata/; `go test -run TestGolden -update` rewrites them, and the diff
// is reviewed like code.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		file string
		v    openapi.SpecVersion
		f    openapi.Format
	}{
		{"3.1 JSON", "testapp-3.1.json", openapi.V31, openapi.JSON},
		{"3.0.3 JSON", "testapp-3.0.json", openapi.V30, openapi.JSON},
		{"3.1 YAML", "testapp-3.1.yaml", openapi.V31, openapi.YAML},
		{"3.0.3 YAML", "testapp-3.0.yaml", openapi.V30, openapi.YAML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := openapi.Export(newTestApp(), &buf, openapi.WithSpecVersion(tt.v), openapi.WithFormat(tt.f)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the generated document; review the change and run go test -run TestGolden -update\n%s", path, firstDiff(want, buf.Bytes()))
			}
		})
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + itoa(i+1) + ":\n want: " + string(w) + "\n got:  " + string(g)
		}
	}
	return ""
}

func itoa(i int) string {
	var b []byte
	for i > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}
