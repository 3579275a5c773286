package covet

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/covetgo/covet/core/internal/binding"
	"github.com/covetgo/covet/core/internal/inject"
)

// provider is one registered dependency provider (core/internal/inject).
type provider = inject.Provider[*Context]

// ProvideOption configures a provider.
type ProvideOption func(*provideConfig)

type provideConfig = inject.Config

// DependsOn declares that a provider calls Resolve[U] (registered first), so
// U's parameters are documented on the routes using this provider too.
func DependsOn[U any]() ProvideOption {
	return func(pc *provideConfig) { pc.Deps = append(pc.Deps, reflect.TypeFor[U]()) }
}

// ProvideParams declares the parameters a provider reads by hand (c.Query,
// c.Header...) as structs tagged as a route's input is, so every route
// using the provided type documents them (ProvideIn does it itself).
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

// Provide registers fn as the provider of T, as FastAPI's Depends: a typed
// route's input field of type T (exported, untagged) is filled by fn before
// the handler runs; other code asks with Resolve. The value is computed at
// most once per request. A provider may call Resolve[U](c) (a cycle is a
// 500 naming it); its error (or panic) is rendered as a handler's, and the
// handler then does not run.
//
// Call Provide before registering the routes that use T: a field of a type
// without provider is refused at registration. Declare the parameters fn
// reads with ProvideParams, or use ProvideIn. Routes without provided
// fields pay nothing.
func Provide[T any](app *App, fn func(c *Context) (T, error), opts ...ProvideOption) {
	if fn == nil {
		panic("covet: Provide[" + reflect.TypeFor[T]().String() + "] with a nil provider")
	}
	registerProvider[T](app, func(c *Context) (any, error) { return fn(c) }, nil, opts)
}

// ProvideIn registers a provider of T that takes a typed input bound and
// validated from the request as a route's is (query, header, cookie, path;
// no body; 422 when invalid); its parameters are documented on every route
// using T. The input may have fields of types provided before.
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

// Resolve returns the request's value of type T from its provider (Provide,
// ProvideIn), computed once per request; without a provider it returns an
// error (a 500 if returned).
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
