package covet

import (
	"math"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The validation problem (422) is the answer to every invalid request, so
// its encoding is on a hot path: appendProblem writes a problem without
// extensions straight into a pooled buffer, without reflection, producing
// the bytes encoding/json would (same member order, omitempty rules, HTML
// escaping and float format).

var problemBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendProblem appends p as JSON; ok is false when a value needs the
// generic encoder (an uncommon FieldError.Value type, or extensions).
func appendProblem(b []byte, p *Problem) (_ []byte, ok bool) {
	if len(p.Extensions) > 0 {
		return b, false
	}
	b = append(b, `{"type":`...)
	b = appendJSONString(b, p.Type)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, p.Title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	if p.Detail != "" {
		b = append(b, `,"detail":`...)
		b = appendJSONString(b, p.Detail)
	}
	if p.Instance != "" {
		b = append(b, `,"instance":`...)
		b = appendJSONString(b, p.Instance)
	}
	if p.RequestID != "" {
		b = append(b, `,"request_id":`...)
		b = appendJSONString(b, p.RequestID)
	}
	if len(p.Errors) > 0 {
		b = append(b, `,"errors":[`...)
		for i := range p.Errors {
			e := &p.Errors[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"location":`...)
			b = appendJSONString(b, e.Location)
			b = append(b, `,"field":`...)
			b = appendJSONString(b, e.Field)
			if e.Pointer != "" {
				b = append(b, `,"pointer":`...)
				b = appendJSONString(b, e.Pointer)
			}
			b = append(b, `,"message":`...)
			b = appendJSONString(b, e.Message)
			if e.Value != nil {
				b = append(b, `,"value":`...)
				switch v := e.Value.(type) {
				case string:
					b = appendJSONString(b, v)
				case int64:
					b = strconv.AppendInt(b, v, 10)
				case int:
					b = strconv.AppendInt(b, int64(v), 10)
				case uint64:
					b = strconv.AppendUint(b, v, 10)
				case bool:
					b = strconv.AppendBool(b, v)
				case float64:
					if math.IsInf(v, 0) || math.IsNaN(v) {
						return b, false
					}
					b = appendJSONFloat(b, v)
				default:
					return b, false
				}
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
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

// appendJSONString appends s as a JSON string the way encoding/json writes
// it: HTML-sensitive characters and U+2028/U+2029 escaped, invalid UTF-8
// replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
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

// appendJSONFloat formats a float64 as encoding/json does.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
