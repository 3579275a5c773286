package openapi

import (
	covet "github.com/covetgo/covet/core"
)

// example is a documented example value of a route.
type example struct{ value any }

var (
	requestExampleKey  = covet.NewMetaKey[example]("openapi.requestExample")
	responseExampleKey = covet.NewMetaKey[example]("openapi.responseExample")
)

// RequestExample documents an example request body for a route: a value of
// the input's Body type (or of the input type itself for JSON-only inputs),
// shown as the body's example, encoded as the route would decode it.
//
//	covet.Post(app, "/tasks", create).With(openapi.RequestExample(NewTask{Title: "Write docs"}))
//
// A value whose type is not the body's type makes the document fail to
// build, naming the route. Field examples (example:"..." tags) still apply
// to the schema.
func RequestExample[T any](v T) covet.RouteOption {
	return requestExampleKey.Set(example{value: v})
}

// ResponseExample documents an example body of a route's success response:
// a value of the output's Body type (or of the output type).
func ResponseExample[T any](v T) covet.RouteOption {
	return responseExampleKey.Set(example{value: v})
}
