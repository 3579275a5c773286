// Package jsonhook lets the optional package core/gojson plug
// github.com/goccy/go-json into covet.GoJSON without the covet package
// importing it: goccy/go-json links about 3.2 MB from its package
// initialisation whatever a program calls, so only programs that import
// core/gojson pay for it.
package jsonhook

// Marshal and Unmarshal are goccy/go-json's, set by core/gojson's init;
// nil when the program does not import it.
var (
	Marshal   func(v any) ([]byte, error)
	Unmarshal func(data []byte, v any) error
)
