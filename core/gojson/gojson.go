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
	"encoding/base64"
	"encoding/json"
	"errors"

	gojson "github.com/goccy/go-json"
)

// Codec is the goccy/go-json codec; it satisfies covet.JSONCodec. It
// follows encoding/json's rules (struct tags, case-insensitive keys,
// invalid UTF-8 replaced by U+FFFD, Marshaler and TextMarshaler methods)
// and copies decoded strings out of the input.
type Codec struct{}

// Marshal encodes v with goccy/go-json. Its errors are encoding/json's
// types (see stdError).
func (Codec) Marshal(v any) ([]byte, error) {
	b, err := gojson.Marshal(v)
	if err != nil {
		return nil, stdError(nil, err)
	}
	return b, nil
}

// Unmarshal decodes data into v with goccy/go-json. Its errors are the
// ones encoding/json gives (see stdError), so that Covet, and code testing
// for encoding/json's error types, handle them as under covet.StdJSON: a
// type error reports its field, a syntax error its offset.
func (Codec) Unmarshal(data []byte, v any) error {
	err := gojson.Unmarshal(data, v)
	if err != nil {
		return stdError(data, err)
	}
	return nil
}

// stdError turns an error of goccy/go-json into encoding/json's: a
// *json.SyntaxError (with encoding/json's message for the same text: its
// message field is unexported), *json.UnmarshalTypeError (or, for a
// []byte that is not base64, the base64.CorruptInputError encoding/json
// returns), *json.InvalidUnmarshalError, *json.UnsupportedTypeError,
// *json.UnsupportedValueError and *json.MarshalerError. Errors of
// UnmarshalJSON, UnmarshalText and MarshalJSON methods, and messages
// encoding/json also makes with errors.New (an unknown field under
// DisallowUnknownFields), pass as they are.
func stdError(data []byte, err error) error {
	var (
		se  *gojson.SyntaxError
		te  *gojson.UnmarshalTypeError
		ie  *gojson.InvalidUnmarshalError
		ute *gojson.UnsupportedTypeError
		uve *gojson.UnsupportedValueError
		me  *gojson.MarshalerError
	)
	switch {
	case errors.As(err, &se):
		var raw json.RawMessage
		var jse *json.SyntaxError
		if errors.As(json.Unmarshal(data, &raw), &jse) {
			return jse
		}
		// encoding/json finds no syntax error: keep goccy's, offset and all.
		return err
	case errors.As(err, &te):
		var b64 base64.CorruptInputError
		if errors.As(te.Err, &b64) {
			return b64
		}
		return &json.UnmarshalTypeError{Value: te.Value, Type: te.Type, Offset: te.Offset, Struct: te.Struct, Field: te.Field}
	case errors.As(err, &ie):
		return &json.InvalidUnmarshalError{Type: ie.Type}
	case errors.As(err, &ute):
		return &json.UnsupportedTypeError{Type: ute.Type}
	case errors.As(err, &uve):
		return &json.UnsupportedValueError{Value: uve.Value, Str: uve.Str}
	case errors.As(err, &me):
		return &json.MarshalerError{Type: me.Type, Err: me.Err}
	}
	return err
}
