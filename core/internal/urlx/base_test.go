package urlx

import "testing"

func TestParseBase(t *testing.T) {
	for base, want := range map[string]string{
		"https://example.com":      "https://example.com",
		"http://example.com/app/":  "http://example.com/app",
		"https://example.com/a/b":  "https://example.com/a/b",
		"ftp://example.com":        "",
		"/relative":                "",
		"https://example.com/?q=1": "",
		"https://example.com/#f":   "",
		"https://":                 "",
		"%":                        "",
	} {
		u, ok := ParseBase(base)
		if ok != (want != "") || ok && u.String() != want {
			t.Errorf("ParseBase(%q) = %v, %v; want %q", base, u, ok, want)
		}
	}
}
