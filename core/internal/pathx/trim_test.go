package pathx

import "testing"

func TestTrimSlash(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "//": "", "/api": "/api", "/api/": "/api", "/api//": "/api", "api/": "api"} {
		if got := TrimSlash(in); got != want {
			t.Errorf("TrimSlash(%q) = %q, want %q", in, got, want)
		}
	}
}
