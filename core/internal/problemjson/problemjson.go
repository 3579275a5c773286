// Package problemjson encodes covet's problem+json bodies without
// reflection. The validation problem (422) is the answer to every invalid
// request, so its encoding is on a hot path: Append writes a problem
// without extensions straight into a buffer, producing the bytes
// encoding/json would (same member order, omitempty rules, HTML escaping
// and float format). covet's errors.go keeps the public Problem and
// FieldError types; the constraints below mirror them field for field (tags
// included), so a change to either breaks the build instead of the output.
// Write sends a problem as the response (DefaultErrorHandler's last step).
// It does not import covet.
package problemjson

import (
	"bytes"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/covetgo/covet/core/internal/jsonx"
)

// FieldErrorType is satisfied by covet.FieldError.
type FieldErrorType interface {
	~struct {
		Location string `json:"location"`
		Field    string `json:"field"`
		Pointer  string `json:"pointer,omitempty"`
		Message  string `json:"message"`
		Value    any    `json:"value,omitempty"`
	}
}

// ProblemType is satisfied by covet.Problem with E = covet.FieldError.
type ProblemType[E any] interface {
	~struct {
		Type       string         `json:"type"`
		Title      string         `json:"title"`
		Status     int            `json:"status"`
		Detail     string         `json:"detail,omitempty"`
		Instance   string         `json:"instance,omitempty"`
		RequestID  string         `json:"request_id,omitempty"`
		Errors     []E            `json:"errors,omitempty"`
		Extensions map[string]any `json:"-"`
	}
}

type fieldError struct {
	Location, Field, Pointer, Message string
	Value                             any
}

type problem[E any] struct {
	Type, Title                 string
	Status                      int
	Detail, Instance, RequestID string
	Errors                      []E
	Extensions                  map[string]any
}

// BufPool holds the buffers problems are encoded into.
var BufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Append appends p as JSON; ok is false when a value needs the generic
// encoder (an uncommon FieldError.Value type, or extensions).
func Append[E FieldErrorType, P ProblemType[E]](b []byte, pp *P) (_ []byte, ok bool) {
	p := problem[E](*pp)
	if len(p.Extensions) > 0 {
		return b, false
	}
	b = append(b, `{"type":`...)
	b = jsonx.AppendString(b, p.Type)
	b = append(b, `,"title":`...)
	b = jsonx.AppendString(b, p.Title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	if p.Detail != "" {
		b = append(b, `,"detail":`...)
		b = jsonx.AppendString(b, p.Detail)
	}
	if p.Instance != "" {
		b = append(b, `,"instance":`...)
		b = jsonx.AppendString(b, p.Instance)
	}
	if p.RequestID != "" {
		b = append(b, `,"request_id":`...)
		b = jsonx.AppendString(b, p.RequestID)
	}
	if len(p.Errors) > 0 {
		b = append(b, `,"errors":[`...)
		for i := range p.Errors {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendFieldError(b, fieldError(p.Errors[i])); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
}

func appendFieldError(b []byte, e fieldError) (_ []byte, ok bool) {
	b = append(b, `{"location":`...)
	b = jsonx.AppendString(b, e.Location)
	b = append(b, `,"field":`...)
	b = jsonx.AppendString(b, e.Field)
	if e.Pointer != "" {
		b = append(b, `,"pointer":`...)
		b = jsonx.AppendString(b, e.Pointer)
	}
	b = append(b, `,"message":`...)
	b = jsonx.AppendString(b, e.Message)
	if e.Value != nil {
		b = append(b, `,"value":`...)
		switch v := e.Value.(type) {
		case string:
			b = jsonx.AppendString(b, v)
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
			b = appendFloat(b, v)
		default:
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendFloat formats a float64 as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
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

// AddExtensions appends the extensions to b, the JSON object of a problem
// without them, as top-level members sorted by name, leaving out those
// named like a member present (present reports which are). marshal encodes
// names and values (trailing newlines are trimmed).
func AddExtensions(b []byte, ext map[string]any, present func(name string) bool, marshal func(any) ([]byte, error)) ([]byte, error) {
	keys := make([]string, 0, len(ext))
	for k := range ext {
		if !present(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b = bytes.TrimRight(b, " \n")
	out := b[:len(b)-1] // without the closing brace
	for _, k := range keys {
		kb, err := marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := marshal(ext[k])
		if err != nil {
			return nil, err
		}
		out = append(out, ',')
		out = append(out, bytes.TrimRight(kb, " \n")...)
		out = append(out, ':')
		out = append(out, bytes.TrimRight(vb, " \n")...)
	}
	return append(out, '}'), nil
}

// ErrorString is the text of a covet.Error: "422 Title: detail; loc.field:
// message...: cause" (the status text when title is empty).
func ErrorString[E FieldErrorType](status int, title, detail string, errs []E, cause error) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(status))
	b.WriteByte(' ')
	if title != "" {
		b.WriteString(title)
	} else {
		b.WriteString(http.StatusText(status))
	}
	if detail != "" {
		b.WriteString(": ")
		b.WriteString(detail)
	}
	for i := range errs {
		f := fieldError(errs[i])
		b.WriteString("; ")
		b.WriteString(f.Location)
		b.WriteByte('.')
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	if cause != nil {
		b.WriteString(": ")
		b.WriteString(cause.Error())
	}
	return b.String()
}

var (
	problemContentType = []string{"application/problem+json"}
	nosniff            = []string{"nosniff"}
)

// Write sends the problem pp as w's response: application/problem+json,
// nosniff, a Content-Length when the body is larger than small (net/http's
// buffer, below which it sets the length itself) or the request is HEAD
// (head, which also drops the body), and the problem's status. marshal
// encodes what Append cannot (extensions, uncommon values); if it fails too,
// a bare 500 problem is sent. The caller has copied the error's headers.
func Write[E FieldErrorType, P ProblemType[E]](w http.ResponseWriter, pp *P, head bool, small int, marshal func(any) ([]byte, error)) {
	bp := BufPool.Get().(*[]byte)
	defer func() { *bp = (*bp)[:0]; BufPool.Put(bp) }()
	b, ok := Append((*bp)[:0], pp)
	*bp = b
	status := problem[E](*pp).Status
	var mErr error
	if !ok {
		b, mErr = marshal(*pp)
	}
	if mErr != nil {
		b = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h["Content-Type"] = problemContentType // shared slices: never mutated
	if len(b) > small || head {
		h.Set("Content-Length", strconv.Itoa(len(b)))
	} else {
		delete(h, "Content-Length") // a stale one from the failed handler; net/http sets it
	}
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(status)
	if !head {
		_, _ = w.Write(b)
	}
}
