package covet

import (
	"encoding/json"

	"github.com/covetgo/covet/core/internal/binding"
	"github.com/covetgo/covet/core/internal/jsonenc"
	"github.com/covetgo/covet/core/internal/jsonhook"
)

// JSONCodec encodes and decodes JSON bodies. The default is StdJSON
// (encoding/json); WithJSON swaps it, for example for
// github.com/covetgo/covet/core/gojson's Codec.
//
// Typed handlers and Bind scan and check a body before decoding it (types,
// presence, nesting, duplicate keys). With StdJSON they then fill the value
// with their own decoder, driven by the plan of the target type, which
// gives exactly what encoding/json.Unmarshal gives (a differential test
// and a fuzz target hold it to that) at a fraction of its cost; with any
// other codec they call its Unmarshal, which only has to fill the value.
// Unmarshal must not keep references into data after it returns: the
// buffer is reused for the next request.
type JSONCodec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// StdJSON is the encoding/json codec, Covet's default. c.JSON and typed
// handlers encode with internal/jsonenc when the app's codec is StdJSON: the
// same bytes as encoding/json.Marshal (a differential test and a fuzz
// target compare them), compiled per type, into a pooled buffer.
type StdJSON struct{}

// Marshal implements JSONCodec.
func (StdJSON) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal implements JSONCodec.
func (StdJSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// GoJSON is the github.com/goccy/go-json codec when the program imports
// github.com/covetgo/covet/core/gojson, and encoding/json otherwise:
// goccy/go-json adds about 3.2 MB to a binary from its package
// initialisation, so the covet package does not import it. New code should
// use gojson.Codec, which always is goccy/go-json.
type GoJSON struct{}

// Marshal implements JSONCodec.
func (GoJSON) Marshal(v any) ([]byte, error) {
	if jsonhook.Marshal != nil {
		return jsonhook.Marshal(v)
	}
	return json.Marshal(v)
}

// Unmarshal implements JSONCodec.
func (GoJSON) Unmarshal(data []byte, v any) error {
	if jsonhook.Unmarshal != nil {
		return jsonhook.Unmarshal(data, v)
	}
	return json.Unmarshal(data, v)
}

var defaultJSON JSONCodec = StdJSON{}

// bodyDecoder is the codec binding decodes bodies with: nil (its
// plan-driven decoder, equal to encoding/json) for StdJSON.
func bodyDecoder(j JSONCodec) binding.Codec {
	if _, ok := j.(StdJSON); ok {
		return nil
	}
	return j
}

// marshalJSON encodes v with the app's codec. For StdJSON the bytes are in
// the Context's buffer (pooled with it): keepJSON gives it back once they
// are written (an io.Writer does not keep what it is given).
func (c *Context) marshalJSON(v any) ([]byte, error) {
	if _, ok := c.app.cfg.json.(StdJSON); !ok {
		return c.app.cfg.json.Marshal(v)
	}
	buf := c.jsonBuf
	c.jsonBuf = nil // a nested call (from a Before hook) gets its own
	return jsonenc.Append(buf[:0], v)
}

// keepJSON keeps b's array for the next marshalJSON, unless it is large.
func (c *Context) keepJSON(b []byte) {
	if cap(b) <= 64<<10 {
		c.jsonBuf = b[:0]
	}
}

var (
	_ JSONCodec = StdJSON{}
	_ JSONCodec = GoJSON{}
)
