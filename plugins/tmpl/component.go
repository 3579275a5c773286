package tmpl

import (
	"bytes"
	"context"
	"fmt"
	"io"

	covet "github.com/covetgo/covet/core"
)

// Component is a compiled, typed template: the method set of
// github.com/a-h/templ's templ.Component, so every templ component (and
// anything else with this method) is one. This package does not import
// templ; an app that uses it does.
type Component interface {
	Render(ctx context.Context, w io.Writer) error
}

// RenderComponent renders an a-h/templ component (any Component) and
// writes it with status as text/html. Like Render it renders into a pooled
// buffer first: an error is returned before a byte is sent, so the client
// gets the whole page or a 500, never half a page. The component's context
// is the request's; it needs no installed engine.
//
//	return tmpl.RenderComponent(c, http.StatusOK, views.TaskList(tasks))
func RenderComponent(c *covet.Context, status int, comp Component) error {
	if comp == nil {
		return fmt.Errorf("tmpl: RenderComponent: nil component")
	}
	buf := bufPool.Get().(*bytes.Buffer)
	if err := comp.Render(c.Context(), buf); err != nil {
		putBuf(buf)
		return fmt.Errorf("tmpl: rendering component %T: %w", comp, err)
	}
	defer putBuf(buf)
	return writeHTML(c, status, buf.Bytes())
}

// RenderComponentHX renders fragment for an htmx request that wants one
// (HXRequest.Partial) and page otherwise, with Vary: HX-Request,
// HX-Boosted, HX-History-Restore-Request: the component counterpart of
// RenderHX.
//
//	return tmpl.RenderComponentHX(c, http.StatusOK, views.TasksPage(p), views.TaskList(p.Tasks))
func RenderComponentHX(c *covet.Context, status int, page, fragment Component) error {
	c.Response().Header().Add("Vary", varyHX)
	if HX(c).Partial() {
		return RenderComponent(c, status, fragment)
	}
	return RenderComponent(c, status, page)
}

// componentRef is what a typed route marked with PageComponent renders.
type componentRef struct {
	page, fragment func(v any) (Component, error)
}

var componentKey = covet.NewMetaKey[componentRef]("tmpl.component")

// PageComponent marks a typed route as answering HTML rendered by the
// component page builds from the route's output when the client asks for
// text/html, and JSON otherwise (as Page does for html/template pages).
// The app needs HTMLEncoder:
//
//	covet.Get(app, "/tasks", listTasks).With(tmpl.PageComponent(views.TasksPage))
func PageComponent[T any, C Component](page func(T) C) covet.RouteOption {
	return componentKey.Set(componentRef{page: adapt(page)})
}

// PageComponentHX is PageComponent with the component an htmx request that
// wants a fragment gets (HXRequest.Partial), with Vary: HX-Request, HX-Boosted,
// HX-History-Restore-Request.
func PageComponentHX[T any, C1, C2 Component](page func(T) C1, fragment func(T) C2) covet.RouteOption {
	return componentKey.Set(componentRef{page: adapt(page), fragment: adapt(fragment)})
}

func adapt[T any, C Component](f func(T) C) func(any) (Component, error) {
	return func(v any) (Component, error) {
		t, ok := v.(T)
		if !ok {
			var zero T
			return nil, fmt.Errorf("tmpl: PageComponent for %T got a %T", zero, v)
		}
		return f(t), nil
	}
}

func (r componentRef) render(c *covet.Context, status int, v any) error {
	build := r.page
	if r.fragment != nil {
		c.Response().Header().Add("Vary", varyHX)
		if HX(c).Partial() {
			build = r.fragment
		}
	}
	comp, err := build(v)
	if err != nil {
		return err
	}
	return RenderComponent(c, status, comp)
}
