package compress

import "testing"

func TestNegotiation(t *testing.T) {
	order := []string{Zstd, Brotli, Gzip}
	tests := []struct {
		name          string
		header        []string
		order         []string
		want          string // "" for identity
		force         bool
		notAcceptable bool
	}{
		{"browser default picks server preference", []string{"gzip, deflate, br, zstd"}, nil, Zstd, false, false},
		{"server order decides ties", []string{"gzip, br"}, []string{Gzip, Brotli}, Gzip, false, false},
		{"server order decides ties (other order)", []string{"gzip, br"}, []string{Brotli, Gzip}, Brotli, false, false},
		{"higher q wins over server order", []string{"zstd;q=0.5, br;q=0.9, gzip;q=0.1"}, nil, Brotli, false, false},
		{"q=0 excludes a coding", []string{"zstd;q=0, br;q=0, gzip"}, nil, Gzip, false, false},
		{"only unknown codings", []string{"deflate, compress"}, nil, "", false, false},
		{"empty value: identity only", []string{""}, nil, "", false, false},
		{"star accepts every coding", []string{"*"}, nil, Zstd, false, false},
		{"star with q", []string{"gzip;q=1, *;q=0.5"}, nil, Gzip, false, false},
		{"star q=0 excludes unlisted codings and identity", []string{"*;q=0, br"}, nil, Brotli, true, false},
		{"identity;q=0 with an acceptable coding forces coding", []string{"gzip, identity;q=0"}, nil, Gzip, true, false},
		{"identity;q=0 and nothing acceptable", []string{"identity;q=0, deflate"}, nil, "", false, true},
		{"star;q=0 alone", []string{"*;q=0"}, nil, "", false, true},
		{"star;q=0 but identity allowed", []string{"*;q=0, identity"}, nil, "", false, false},
		{"identity preferred over codings", []string{"identity;q=1, gzip;q=0.5"}, nil, "", false, false},
		{"equal identity and coding: code", []string{"identity, gzip"}, nil, Gzip, false, false},
		{"x-gzip is gzip", []string{"x-gzip"}, nil, Gzip, false, false},
		{"case-insensitive names and q", []string{"GZIP;Q=0.8, Br;q=0.9"}, nil, Brotli, false, false},
		{"whitespace and empty elements", []string{" , gzip ;  q=0.7 ,, br;q=0.6 "}, nil, Gzip, false, false},
		{"several field lines", []string{"gzip;q=0.2", "zstd;q=0.3"}, nil, Zstd, false, false},
		{"invalid q ignores the element", []string{"br;q=2, gzip;q=abc, zstd;q=0.1"}, nil, Zstd, false, false},
		{"q with three decimals", []string{"gzip;q=0.001, br;q=0.002"}, nil, Brotli, false, false},
		{"1.000 is valid, 1.5 is not", []string{"gzip;q=1.000, br;q=1.5"}, nil, Gzip, false, false},
		{"coding disabled on the server", []string{"br"}, []string{Gzip}, "", false, false},
		{"other parameters ignored", []string{"gzip;level=9;q=0.4, br;q=0.3"}, nil, Gzip, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := order
			if tt.order != nil {
				names = tt.order
			}
			a := parseAcceptEncoding(tt.header, names)
			i, force, na := a.choose(len(names))
			got := ""
			if i >= 0 {
				got = names[i]
			}
			if got != tt.want || force != tt.force || na != tt.notAcceptable {
				t.Errorf("Accept-Encoding %q: got (%q, force=%v, 406=%v), want (%q, force=%v, 406=%v)",
					tt.header, got, force, na, tt.want, tt.force, tt.notAcceptable)
			}
		})
	}
}

func TestNegotiationAllocs(t *testing.T) {
	names := []string{Zstd, Brotli, Gzip}
	h := []string{"gzip, deflate, br, zstd;q=0.9, identity;q=0.1"}
	n := testing.AllocsPerRun(100, func() {
		a := parseAcceptEncoding(h, names)
		a.choose(3)
	})
	if n != 0 {
		t.Fatalf("negotiation allocates %v times", n)
	}
}

func TestTypeMatcher(t *testing.T) {
	m := newTypeMatcher(DefaultContentTypes)
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8":           true,
		"TEXT/PLAIN":                         true,
		"application/json":                   true,
		"application/problem+json":           true,
		"image/svg+xml":                      true,
		"application/javascript":             true,
		"image/png":                          false,
		"application/octet-stream":           false,
		"application/zip":                    false,
		"video/mp4":                          false,
		"application/jsonx":                  false,
		"text/":                              false,
		"application/vnd.api+json; charset=": true,
	} {
		if got := m.match(mediaType(ct)); got != want {
			t.Errorf("match(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestETagHelpers(t *testing.T) {
	if got, ok := stripETags(`"a-br", W/"b-br", "c-gzip", "d"`, "-br"); !ok || got != `"a", W/"b-br", "c-gzip", "d"` {
		t.Errorf("stripETags = %q, %v", got, ok)
	}
	if _, ok := stripETags(`"a"`, "-br"); ok {
		t.Error("stripETags changed a tag without the suffix")
	}
}
