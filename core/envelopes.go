package covet

import "net/http"

// Created is the output of a typed handler that created a resource: 201,
// a Location header, and the resource as the JSON body. Set the route's
// Status(http.StatusCreated) too, so its documentation lists 201.
type Created[T any] struct {
	Location string `header:"Location"` // the new resource's URL (a path, or absolute)
	Body     T      // the new resource
}

// NewCreated returns a Created output for body at location.
func NewCreated[T any](location string, body T) *Created[T] {
	return &Created[T]{Location: location, Body: body}
}

// StatusCode returns 201 Created.
func (*Created[T]) StatusCode() int { return http.StatusCreated }
