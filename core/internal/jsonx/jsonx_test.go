package jsonx

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppendJSONString: the escaper produces what encoding/json produces.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "<&>", "\x00\x1f\t\n\r", "é", "\xff\xfe", "\u2028\u2029", "a\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

func TestAppendStringRandom(t *testing.T) {
	alphabet := []byte("abcXYZ09 \"\\<>&\x00\x1f\x7f\t\n/é€\xff\xe2\x80\xa8")
	seed := uint64(1)
	next := func() uint64 { seed = seed*6364136223846793005 + 1442695040888963407; return seed >> 33 }
	for n := 0; n < 5000; n++ {
		l := int(next() % 40)
		b := make([]byte, l)
		for i := range b {
			b[i] = alphabet[next()%uint64(len(alphabet))]
		}
		s := string(b)
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("%q:\n got  %s\n want %s", s, got, want)
		}
	}
}
