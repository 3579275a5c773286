package jsonx

import (
	"math/rand/v2"
	"testing"
)

// TestPlainWord: the eight-byte test agrees with plainJSON byte by byte:
// every byte value at every position of an otherwise plain word, every
// pair of values in two lanes (borrows between neighbours), and random words.
func TestPlainWord(t *testing.T) {
	want := func(w []byte) bool {
		for _, c := range w {
			if !plainJSON[c] {
				return false
			}
		}
		return true
	}
	check := func(w []byte) {
		t.Helper()
		if got := plainWord(string(w)); got != want(w) {
			t.Fatalf("plainWord(%q) = %v", w, got)
		}
	}
	base := []byte("abcdefgh")
	for pos := range 8 {
		for c := range 256 {
			w := append([]byte(nil), base...)
			w[pos] = byte(c)
			check(w)
		}
	}
	for lo := range 256 {
		for hi := range 256 {
			w := append([]byte(nil), base...)
			w[3], w[4] = byte(lo), byte(hi)
			check(w)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	w := make([]byte, 8)
	for range 200000 {
		for i := range w {
			// Mostly plain bytes, so words of both kinds are common.
			if r.IntN(16) == 0 {
				w[i] = byte(r.IntN(256))
			} else {
				w[i] = byte(0x20 + r.IntN(0x5f))
			}
		}
		check(w)
	}
}
