package covet

import (
	"encoding/json"

	gojson "github.com/goccy/go-json"
)

// JSONCodec encodes and decodes JSON bodies. The default is GoJSON
// (github.com/goccy/go-json, a drop-in for encoding/json that decodes about
// five times faster; see the README for how it was chosen); WithJSON swaps
// it, for example for StdJSON.
//
// Typed handlers and Bind scan and check a body before handing it to
// Unmarshal (types, presence, nesting, duplicate keys), so a codec only has
// to fill the value. Unmarshal must not keep references into data after it
// returns: the buffer is reused for the next request.
type JSONCodec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// StdJSON is the encoding/json codec.
type StdJSON struct{}

// Marshal implements JSONCodec.
func (StdJSON) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal implements JSONCodec.
func (StdJSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// GoJSON is the github.com/goccy/go-json codec, Covet's default. It follows
// encoding/json's rules (struct tags, case-insensitive keys, invalid UTF-8
// replaced by U+FFFD, Marshaler and TextMarshaler methods) and copies
// decoded strings out of the input.
type GoJSON struct{}

// Marshal implements JSONCodec.
func (GoJSON) Marshal(v any) ([]byte, error) { return gojson.Marshal(v) }

// Unmarshal implements JSONCodec.
func (GoJSON) Unmarshal(data []byte, v any) error { return gojson.Unmarshal(data, v) }

var defaultJSON JSONCodec = GoJSON{}

var (
	_ JSONCodec = StdJSON{}
	_ JSONCodec = GoJSON{}
)
