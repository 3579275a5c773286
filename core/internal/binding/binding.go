// Package binding is Covet's typed-input engine: it compiles Go struct types
// into plans once (model.go, tags.go, plans.go), binds path, query, header,
// cookie and form parameters with them (params.go, query.go, form.go), reads
// and pre-scans JSON bodies against them (jsonscan.go, body.go), validates
// values with the compiled JSON Schema rules (validate.go, formats.go), and
// writes typed outputs' headers (output.go). The value to fill or write
// arrives as an interface holding a pointer to the plan's type (ptr.go), so
// that package covet needs no unsafe.
//
// It does not import package covet: the few things it needs from it (the
// JSON codec, the multipart file type, error rendering) arrive through the
// small types below, and covet's thin typed adapter (typed.go, bind.go,
// multipart.go) turns binding's results into Covet errors and responses.
// package schema reads the same plans to publish JSON Schemas.
package binding

import (
	"net/http"
	"reflect"
)

// FieldError is one failing field. It has exactly the fields of
// covet.FieldError, which converts a []FieldError without copying.
type FieldError struct {
	Location string `json:"location"`
	Field    string `json:"field"`
	Pointer  string `json:"pointer,omitempty"`
	Message  string `json:"message"`
	Value    any    `json:"value,omitempty"`
}

// Error is a request refused before validation: a 400 (malformed JSON, a
// body that cannot be read, too many query parameters), 413 or 415. The
// covet package renders it as a problem.
type Error struct {
	Status int
	Detail string
	// Header and HeaderValue set one response header when Header != ""
	// (Accept-Post on a 415).
	Header, HeaderValue string
	// Offset is the byte offset of a JSON syntax error, or -1.
	Offset int
	Cause  error
}

func (e *Error) Error() string { return e.Detail }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

func newError(status int, detail string) *Error {
	return &Error{Status: status, Detail: detail, Offset: -1}
}

// Codec decodes JSON (covet.JSONCodec satisfies it). A nil Codec selects
// the plan-driven decoder, which gives what encoding/json gives.
type Codec interface {
	Unmarshal(data []byte, v any) error
}

// statusCoder is covet.StatusCoder's method set.
type statusCoder interface{ StatusCode() int }

var statusCoderT = reflect.TypeFor[statusCoder]()

// filePtrType is the type of a file field (*covet.File); covet sets it with
// SetFileType before any plan is compiled.
var filePtrType reflect.Type

// SetFileType tells the compiler the type of form file fields (*covet.File).
func SetFileType(t reflect.Type) { filePtrType = t }

var (
	cookiePtrType = reflect.TypeFor[*http.Cookie]()
	cookiesType   = reflect.TypeFor[[]*http.Cookie]()
)
