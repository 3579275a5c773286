// Package jsonx holds what core's hand-written JSON code shares: the string
// escaper (problem bodies, access-log lines, the response encoder), whose
// output is byte for byte what encoding/json writes for a string (a fuzz
// target checks it), and encoding/json's rule for struct tag names.
package jsonx

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidTagName is encoding/json's test of a struct tag name (isValidTag): a
// name it refuses, as in json:"price€", is ignored and the Go name used.
func ValidTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
			// punctuation allowed in a tag name (not the quote nor the backslash)
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// plainJSON marks the bytes a JSON string holds as they are: printable
// ASCII except the quote, the backslash and the HTML-sensitive <, > and &.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendString appends s as a JSON string the way encoding/json writes
// it: HTML-sensitive characters and U+2028/U+2029 escaped, invalid UTF-8
// replaced by U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight plain bytes at a time (most strings are all plain); a word
		// with a byte to look at goes byte by byte.
		// (plainWord, written out: a call costs as much as the test.)
		if i+8 <= len(s) {
			w := s[i : i+8]
			x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
			y1, y2, y3 := x^(lanes1*'"'), x^(lanes1*'\\'), x^(lanes1*'<')
			y4, y5 := x^(lanes1*'>'), x^(lanes1*'&')
			t := x | (x-lanes1*0x20)&^x | (y1-lanes1)&^y1 | (y2-lanes1)&^y2 |
				(y3-lanes1)&^y3 | (y4-lanes1)&^y4 | (y5-lanes1)&^y5
			if t&lanes8 == 0 {
				i += 8
				continue
			}
		}
		c := s[i]
		if plainJSON[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Constants of plainWord: a byte of ones, and of high bits, in every lane.
const (
	lanes1 = 0x0101010101010101
	lanes8 = 0x8080808080808080
)

// plainWord reports whether the eight bytes of w (len(w) == 8) are all
// plain (plainJSON), testing them at once: none below 0x20 or at 0x80 and
// above, none equal to '"', '\\', '<', '>' or '&'. A lane of
// (x - lanes1*n) &^ x & lanes8 is set where the byte is below n (n <=
// 0x80); borrows make it set other lanes only above one that is, so the
// word test is exact. TestPlainWord checks it against plainJSON;
// AppendString has it written out.
func plainWord(w string) bool {
	_ = w[7]
	x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
	t := x | (x-lanes1*0x20)&^x
	y := x ^ (lanes1 * '"')
	t |= (y - lanes1) &^ y
	y = x ^ (lanes1 * '\\')
	t |= (y - lanes1) &^ y
	y = x ^ (lanes1 * '<')
	t |= (y - lanes1) &^ y
	y = x ^ (lanes1 * '>')
	t |= (y - lanes1) &^ y
	y = x ^ (lanes1 * '&')
	t |= (y - lanes1) &^ y
	return t&lanes8 == 0
}
