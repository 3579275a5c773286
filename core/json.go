package covet

import (
	"encoding/json"

	"github.com/covetgo/covet/core/internal/binding"
	"github.com/covetgo/covet/core/internal/jsonenc"
)

// JSONCodec encodes and decodes JSON bodies: StdJSON by default, swapped
// with WithJSON (for example for core/gojson's Codec). Typed handlers and
// Bind check a body before decoding it; with StdJSON they then decode with
// their own plan-driven decoder (exactly encoding/json's result, held to it
// by a differential test and a fuzz target), with another codec through its
// Unmarshal, which must not keep references into data (the buffer is reused).
type JSONCodec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// StdJSON is the encoding/json codec, Covet's default. With it, c.JSON and
// typed handlers encode with internal/jsonenc: encoding/json's bytes
// (held to it by tests), compiled per type, into a pooled buffer.
type StdJSON struct{}

// Marshal implements JSONCodec.
func (StdJSON) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal implements JSONCodec.
func (StdJSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

var defaultJSON JSONCodec = StdJSON{}

// bodyDecoder is the codec binding decodes with: nil (its own) for StdJSON.
func bodyDecoder(j JSONCodec) binding.Codec {
	if _, ok := j.(StdJSON); ok {
		return nil
	}
	return j
}

// marshalJSON encodes v with the app's codec; StdJSON's bytes are in the
// Context's pooled buffer, given back with keepJSON once written.
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
