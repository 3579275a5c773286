// Package gojson is the github.com/goccy/go-json codec for Covet, kept out
// of the covet package so that apps that do not ask for it do not link it
// (goccy/go-json adds about 3.2 MB to a binary from its package
// initialisation, whatever the program calls).
//
// Use it with covet.WithJSON(gojson.Codec{}).
//
// Typed handlers and Bind decode JSON bodies with a plan-driven decoder
// when the app's codec is covet.StdJSON (the default); with this codec they
// scan the body and then call goccy/go-json's Unmarshal.
package gojson

import (
	"encoding/json"
	"errors"

	gojson "github.com/goccy/go-json"
)

// Codec is the goccy/go-json codec; it satisfies covet.JSONCodec. It
// follows encoding/json's rules (struct tags, case-insensitive keys,
// invalid UTF-8 replaced by U+FFFD, Marshaler and TextMarshaler methods)
// and copies decoded strings out of the input.
type Codec struct{}

// Marshal encodes v with goccy/go-json.
func (Codec) Marshal(v any) ([]byte, error) { return gojson.Marshal(v) }

// Unmarshal decodes data into v with goccy/go-json. A type error comes
// back as an *encoding/json.UnmarshalTypeError, so that Covet reports the
// field it concerns as it does for encoding/json.
func (Codec) Unmarshal(data []byte, v any) error {
	err := gojson.Unmarshal(data, v)
	var ge *gojson.UnmarshalTypeError
	if err != nil && errors.As(err, &ge) {
		return &json.UnmarshalTypeError{Value: ge.Value, Type: ge.Type, Offset: ge.Offset, Struct: ge.Struct, Field: ge.Field}
	}
	return err
}
