package covet

import "net/http"

// Created is the output of a typed handler that created a resource: 201
// Created, a Location header naming the new resource, and the resource as
// the JSON body.
//
//	covet.Post(app, "/users", func(c *covet.Context, in *NewUser) (*covet.Created[User], error) {
//		u := create(in)
//		return covet.NewCreated("/users/"+strconv.FormatInt(u.ID, 10), u), nil
//	}).Status(http.StatusCreated)
//
// The response is 201 with or without the route's Status; set it as above
// so the route's documentation (OpenAPI) lists 201 rather than 200.
type Created[T any] struct {
	// Location is the URL of the new resource (a path, or absolute).
	Location string `header:"Location"`
	// Body is the new resource.
	Body T
}

// NewCreated returns a Created output for body at location.
func NewCreated[T any](location string, body T) *Created[T] {
	return &Created[T]{Location: location, Body: body}
}

// StatusCode returns 201 Created.
func (*Created[T]) StatusCode() int { return http.StatusCreated }
