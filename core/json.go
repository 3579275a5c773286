package covet

import "encoding/json"

// JSONCodec encodes and decodes JSON bodies. The default is encoding/json;
// WithJSON swaps it for a faster codec.
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

var defaultJSON JSONCodec = StdJSON{}
