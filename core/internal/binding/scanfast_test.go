package binding

import (
	"math"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"unicode/utf8"
)

// The fast paths of the scan must agree with what they shortcut: skipPlain
// with the byte-at-a-time table loop, and the integer and float range
// checks with strconv (they may only say "fits" where strconv agrees).

func TestSkipPlainMatchesTable(t *testing.T) {
	slow := func(d []byte, i int) int {
		for i < len(d) && !strSpecial[d[i]] {
			i++
		}
		return i
	}
	var d [40]byte
	// Every byte value at every position of a word, over plain content
	// of every length, and runs of high bytes (which must stay plain).
	for _, fill := range []byte{'a', 0x80, 0xff, 0x7f, 0x21, 0x5d, 0x5b} {
		for n := 0; n <= len(d); n++ {
			for c := range 256 {
				for pos := 0; pos < n && pos < 17; pos++ {
					b := d[:n]
					for k := range b {
						b[k] = fill
					}
					b[pos] = byte(c)
					for start := 0; start <= pos; start += 3 {
						if got, want := skipPlain(b, start), slow(b, start); got != want {
							t.Fatalf("skipPlain(%q, %d) = %d, want %d", b, start, got, want)
						}
					}
				}
			}
		}
	}
}

func TestNumberFastPathsMatchStrconv(t *testing.T) {
	ints := []string{"0", "-0", "1", "-1", "127", "128", "-128", "-129", "255", "256", "32767", "32768", "-32768", "-32769",
		"65535", "65536", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
		"999999999999999999", "-999999999999999999", "1000000000000000000", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616", "123456789012345678901234567890"}
	for _, lit := range ints {
		for _, size := range []int{8, 16, 32, 64} {
			_, err := strconv.ParseInt(lit, 10, size)
			if fitsInt([]byte(lit), size) && err != nil {
				t.Errorf("fitsInt(%s, %d) but ParseInt: %v", lit, size, err)
			}
			if len(lit) < 18 && !fitsInt([]byte(lit), size) && err == nil {
				t.Errorf("fitsInt(%s, %d) false on a short literal ParseInt takes", lit, size)
			}
			if lit[0] == '-' {
				continue
			}
			_, err = strconv.ParseUint(lit, 10, size)
			if fitsUint([]byte(lit), size) && err != nil {
				t.Errorf("fitsUint(%s, %d) but ParseUint: %v", lit, size, err)
			}
			if len(lit) < 18 && !fitsUint([]byte(lit), size) && err == nil {
				t.Errorf("fitsUint(%s, %d) false on a short literal ParseUint takes", lit, size)
			}
		}
	}
	big := func(n int) string {
		b := []byte{'9'}
		for range n - 1 {
			b = append(b, '9')
		}
		return string(b)
	}
	floats := []string{"0", "-0", "19.99", "1.5e400", "1.0E39", "2.5e-3", "-0.5", "1e5", "1E400", "-1e400", "3.4e38", "3.5e38", "1e-400",
		big(38), big(38) + ".5", "-" + big(38), big(39), big(39) + ".0", big(308), big(309), big(310), "0.000001"}
	for _, lit := range floats {
		for _, size := range []int{32, 64} {
			f, err := strconv.ParseFloat(lit, size)
			bad := err != nil || math.IsInf(f, 0)
			if floatInRange([]byte(lit), size) && bad {
				t.Errorf("floatInRange(%s, %d) but ParseFloat: %v, %v", lit, size, f, err)
			}
		}
	}
}

// TestNeedRuneCount checks that whenever needRuneCount lets the byte length
// stand in for the rune count, both give the same verdicts, over strings
// of 0–12 runes of every UTF-8 width (and invalid bytes).
func TestNeedRuneCount(t *testing.T) {
	pieces := []string{"a", "é", "€", "😀", "\xff"}
	var gen func(s string, depth int)
	gen = func(s string, depth int) {
		runes := utf8.RuneCountInString(s)
		for minLen := -1; minLen <= 14; minLen++ {
			for maxLen := -1; maxLen <= 14; maxLen++ {
				if needRuneCount(len(s), minLen, maxLen) {
					continue
				}
				n := len(s)
				if (minLen >= 0 && n < minLen) != (minLen >= 0 && runes < minLen) ||
					(maxLen >= 0 && n > maxLen) != (maxLen >= 0 && runes > maxLen) {
					t.Fatalf("%q (%d runes, %d bytes), min %d max %d: byte length gives another verdict", s, runes, n, minLen, maxLen)
				}
			}
		}
		if depth == 0 {
			return
		}
		for _, p := range pieces {
			gen(s+p, depth-1)
		}
	}
	gen("", 5)
	for _, s := range []string{"abcdefghijkl", "€€€€€€€€€€€€", "😀😀😀😀😀😀😀😀😀😀😀😀"} {
		gen(s, 0)
	}
}

// TestClassRunMatcherMatchesRegexp compares the fast pattern matcher with
// regexp on the patterns it takes and on strings near their edges.
func TestClassRunMatcherMatchesRegexp(t *testing.T) {
	taken := []string{`^[0-9]{5}$`, `^[a-z0-9-]{3,8}$`, `^[A-Z]+$`, `^[a-f]*$`, `^\d{2,}$`, `^[\x30-\x39]{2}$`, `^(?i)[a-c]{1,3}$`, `^[[:alpha:]]{0,2}$`}
	refused := []string{`^[0-9]{5}`, `[0-9]{5}$`, `^[0-9]{5}$|x`, `^[é]{2}$`, `^[^0-9]{2}$`, `^\w+?$`, `(?m)^[0-9]$`, `^a{3}$`, `^[0-9]{2}[a-z]$`, `^.{3}$`}
	inputs := []string{"", "0", "12345", "1234", "123456", "abc", "ABC", "aBc", "a-b", "abcdefgh", "abcdefghi", "12a45", "1234\n", "\n12345",
		"é", "éé", "12\xff45", "--", "A", "ZZZZZZZZZZ", "a\x00", "\x00\x00", "ab", "Ab", "zz", "0123456789"}
	for _, p := range taken {
		m := classRunMatcher(p)
		if m == nil {
			t.Errorf("%s: not taken", p)
			continue
		}
		re := regexp.MustCompile(p)
		for _, s := range inputs {
			if got, want := m(s), re.MatchString(s); got != want {
				t.Errorf("%s on %q: %v, regexp says %v", p, s, got, want)
			}
		}
	}
	for _, p := range refused {
		if classRunMatcher(p) != nil {
			t.Errorf("%s: taken, want refused", p)
		}
	}
}

// TestMediaType pins MediaType's answers now that it reads the header map
// directly.
func TestMediaType(t *testing.T) {
	for ct, want := range map[string]string{
		"":                                "",
		"application/json":                "application/json",
		"application/json; charset=utf-8": "application/json",
		" application/problem+json ;q=1":  "application/problem+json",
		"Application/JSON; charset=UTF-8": "application/json",
		"TEXT/Plain":                      "text/plain",
	} {
		r, _ := http.NewRequest(http.MethodPost, "/", nil)
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		if got := MediaType(r); got != want {
			t.Errorf("MediaType(%q) = %q, want %q", ct, got, want)
		}
	}
	r, _ := http.NewRequest(http.MethodPost, "/", nil)
	r.Header["Content-Type"] = []string{""}
	if got := MediaType(r); got != "" {
		t.Errorf("empty Content-Type: %q", got)
	}
}
