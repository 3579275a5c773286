package covet

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/covetgo/covet/core/internal/binding"
	"github.com/covetgo/covet/core/internal/inject"
)

// Dependencies. A provider makes a value of a type T injectable into typed
// handlers: a field of type T in a typed route's input is filled per
// request by the provider, as FastAPI's Depends does.
//
//	covet.Provide(app, func(c *covet.Context) (*User, error) { ... })
//	type GetIn struct {
//		User *User          // filled by the provider
//		ID   int `path:"id"`
//	}
//
// See Provide.

// provider is one registered dependency provider (core/internal/inject).
type provider = inject.Provider[*Context]

// ProvideOption configures a provider.
type ProvideOption func(*provideConfig)

type provideConfig = inject.Config

// DependsOn declares that a provider calls Resolve[U]: the parameters U's
// provider reads are documented on the routes that use this provider too.
// U's provider must be registered first.
func DependsOn[U any]() ProvideOption {
	return func(pc *provideConfig) { pc.Deps = append(pc.Deps, reflect.TypeFor[U]()) }
}

// ProvideParams declares the parameters a provider reads by hand (with
// c.Query, c.Header...) as typed input structs, tagged as a route's input
// is (query, header, cookie, path): they are documented on every route
// that uses the provided type. A provider that binds its input with
// ProvideIn declares it already.
func ProvideParams(in ...any) ProvideOption {
	return func(pc *provideConfig) {
		for _, v := range in {
			t := reflect.TypeOf(v)
			for t != nil && t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			pc.Params = append(pc.Params, t)
		}
	}
}

// Provide registers fn as the provider of T on the app: a typed route
// whose input struct has an exported field of type T gets it filled by fn
// before the handler runs (the field needs no tag; it is neither bound
// from the request nor documented as a body field). Any code with the
// Context can also ask for it with Resolve.
//
// The value is resolved at most once per request and cached for it: two
// fields, a handler and another provider asking for T get one call. A
// provider may depend on others by calling Resolve[U](c); a cycle is an
// error (a 500 naming the cycle) at first use. The provider's error is
// rendered as a handler error is (a *Error keeps its status, error
// translators apply); a panic is a 500, as in a handler. When the provider
// fails, the handler does not run.
//
// Provide must be called before the routes that use T are registered: a
// route whose input has a field of a type without provider is refused at
// registration, with the route and the field. Declare the parameters fn
// reads with ProvideParams, or use ProvideIn to have them bound.
//
// Routes without provided fields pay nothing for providers.
func Provide[T any](app *App, fn func(c *Context) (T, error), opts ...ProvideOption) {
	if fn == nil {
		panic("covet: Provide[" + reflect.TypeFor[T]().String() + "] with a nil provider")
	}
	registerProvider[T](app, func(c *Context) (any, error) { return fn(c) }, nil, opts)
}

// ProvideIn registers a provider of T that takes a typed input, bound and
// validated from the request with the same tags as a route's input (query,
// header, cookie, path; no body): its parameters are documented on every
// route that uses T, and an invalid value is the usual 422. The input may
// itself have fields of provided types (registered before), which makes
// this provider depend on theirs.
//
//	type PageIn struct {
//		Page int `query:"page" minimum:"1" default:"1"`
//		Size int `query:"size" minimum:"1" maximum:"100" default:"20"`
//	}
//	covet.ProvideIn(app, func(c *covet.Context, in *PageIn) (Page, error) {
//		return Page{Offset: (in.Page - 1) * in.Size, Limit: in.Size}, nil
//	})
func ProvideIn[T, In any](app *App, fn func(c *Context, in *In) (T, error), opts ...ProvideOption) {
	tT, inT := reflect.TypeFor[T](), reflect.TypeFor[In]()
	if fn == nil {
		panic("covet: ProvideIn[" + tT.String() + "] with a nil provider")
	}
	var deps []fieldDep
	var ip *binding.InputPlan
	err := errors.New("must be a struct")
	if inT.Kind() == reflect.Struct {
		var idx []int
		if deps, idx, err = app.providers.Fields(inT); err == nil {
			ip, err = binding.CompileProviderInput(inT, idx)
		}
	}
	if err != nil {
		file, line := callerOutside()
		panic(fmt.Sprintf("covet: provider of %s (%s:%d): input %s: %v", tT, file, line, inT, err))
	}
	params := inject.Params([]reflect.Type{inT}, deps)
	resolve := func(c *Context) (any, error) {
		in := new(In)
		if err := c.fillDeps(deps, in); err != nil {
			return nil, err
		}
		vs := binding.GetState()
		err := c.bindInput(ip, in, vs)
		binding.PutState(vs)
		if err != nil {
			return nil, err
		}
		return fn(c, in)
	}
	registerProvider[T](app, resolve, params, opts)
}

func registerProvider[T any](app *App, resolve func(c *Context) (any, error), params []reflect.Type, opts []ProvideOption) {
	app.configuring("Provide")
	file, line := callerOutside()
	var pc provideConfig
	for _, o := range opts {
		o(&pc)
	}
	inject.Register[T](&app.providers, resolve, params, pc, file, line)
}

// fieldDep is a provided field of a typed input.
type fieldDep = inject.FieldDep[*Context]

// fillDeps resolves the provided fields of the input in points to.
func (c *Context) fillDeps(deps []fieldDep, in any) error {
	c.dirty = true
	return c.deps.Fill(c, deps, in)
}

// resolve returns p's value for the request (computed once per request).
func (c *Context) resolve(p *provider) (any, error) {
	c.dirty = true
	return c.deps.Resolve(c, p)
}

// Resolve returns the value of type T for the request, from the provider
// registered with Provide (or ProvideIn); the value is computed once per
// request. Providers call it to depend on each other; handlers and
// middleware may call it too. Without a provider for T it returns an
// error (a 500 when returned as a handler error).
func Resolve[T any](c *Context) (T, error) {
	var zero T
	p := c.app.providers[reflect.TypeFor[T]()]
	if p == nil {
		return zero, fmt.Errorf("covet: Resolve[%s]: no provider registered (covet.Provide)", reflect.TypeFor[T]())
	}
	v, err := c.resolve(p)
	if err != nil {
		return zero, err
	}
	t, _ := v.(T) // a nil interface value stays the zero T
	return t, nil
}
