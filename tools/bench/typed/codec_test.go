package typed

import (
	stdjson "encoding/json"
	"strings"
	"testing"

	"github.com/bytedance/sonic"
	gojson "github.com/goccy/go-json"
)

// The codec evaluation behind core's default JSONCodec: the candidates
// decode the benchmark body and the awkward inputs below, and are timed on
// the body. Run: go test -run TestCodecs -v ./typed/ and
// go test -run '^$' -bench Codec -cpu 1 -benchmem -count 8 ./typed/

type codec struct {
	name      string
	unmarshal func([]byte, any) error
	marshal   func(any) ([]byte, error)
}

var codecs = []codec{
	{"encoding-json", stdjson.Unmarshal, stdjson.Marshal},
	{"goccy-go-json", gojson.Unmarshal, gojson.Marshal},
	{"sonic-std", sonic.ConfigStd.Unmarshal, sonic.ConfigStd.Marshal},
	{"sonic-default", sonic.ConfigDefault.Unmarshal, sonic.ConfigDefault.Marshal},
}

func TestCodecs(t *testing.T) {
	type small struct {
		Name string `json:"name"`
		N    int8   `json:"n"`
		F    float64
	}
	cases := []struct {
		name, in string
		want     string // "error", or the decoded value as %+v
	}{
		{"duplicate key, last wins", `{"name":"a","name":"b"}`, "{Name:b N:0 F:0}"},
		{"invalid UTF-8 replaced", "{\"name\":\"a\xffb\"}", "{Name:a\uFFFDb N:0 F:0}"},
		{"lone surrogate replaced", `{"name":"a\ud800b"}`, "{Name:a\uFFFDb N:0 F:0}"},
		{"int overflow is an error", `{"n":300}`, "error"},
		{"float overflow is an error", `{"F":1e400}`, "error"},
		{"case-insensitive key", `{"NAME":"x"}`, "{Name:x N:0 F:0}"},
		{"fraction into int is an error", `{"n":1.5}`, "error"},
		{"trailing garbage is an error", `{"name":"a"} x`, "error"},
	}
	for _, c := range codecs {
		for _, tc := range cases {
			var v small
			err := c.unmarshal([]byte(tc.in), &v)
			got := "error"
			if err == nil {
				got = strings.TrimSpace(fmtValue(v))
			}
			status := "agrees with encoding/json"
			if got != tc.want {
				status = "DIFFERS: " + got
			}
			t.Logf("%-14s %-32s %s", c.name, tc.name, status)
			if c.name == "goccy-go-json" && got != tc.want {
				t.Errorf("core's default codec differs from encoding/json on %s: %s", tc.name, got)
			}
		}
		var b ItemBody
		if err := c.unmarshal(ValidBody, &b); err != nil || b.Address.Zip != "12345" || len(b.Tags) != 2 {
			t.Errorf("%s: decoding the benchmark body: %v %+v", c.name, err, b)
		}
	}
	// Aliasing: does a decoded string share memory with the input buffer
	// (unsafe when Covet reuses the buffer)?
	for _, c := range codecs {
		buf := []byte(`{"name":"abc"}`)
		var v small
		_ = c.unmarshal(buf, &v)
		copy(buf[9:12], "xyz")
		t.Logf("%-14s strings alias the input: %v", c.name, v.Name != "abc")
		if c.name == "goccy-go-json" && v.Name != "abc" {
			t.Error("the default codec aliases decoded strings into the input buffer")
		}
	}
}

func fmtValue(v any) string {
	b, _ := stdjson.Marshal(v)
	var m struct {
		Name string `json:"name"`
		N    int8   `json:"n"`
		F    float64
	}
	_ = stdjson.Unmarshal(b, &m)
	return "{Name:" + m.Name + " N:" + itoa(int(m.N)) + " F:" + ftoa(m.F) + "}"
}

func itoa(i int) string { b, _ := stdjson.Marshal(i); return string(b) }

func ftoa(f float64) string { b, _ := stdjson.Marshal(f); return string(b) }

func BenchmarkCodec(b *testing.B) {
	res := ItemResult{ID: 42, Org: "acme", Source: "test", DryRun: true, Tags: []string{"a", "b"}, Total: 59.97}
	for _, c := range codecs {
		b.Run("op=decode/codec="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var v ItemBody
				if err := c.unmarshal(ValidBody, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("op=encode/codec="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.marshal(&res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
