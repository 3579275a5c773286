package tmpl

import (
	"errors"
	"io"
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// pageRef is the page a typed route renders for browsers.
type pageRef struct{ name, block string }

var pageKey = covet.NewMetaKey[pageRef]("tmpl.page")

// Page marks a typed route as answering HTML with the page name when the
// client asks for text/html (a browser), and JSON otherwise: the same
// route serves the page and the API. block, when not "", is the block
// rendered for htmx requests that want a fragment (RenderHX). The output
// struct is the template's data. The app needs the encoder:
//
//	app := covet.New(covet.WithEncoders(tmpl.HTMLEncoder()))
//	covet.Get(app, "/tasks", listTasks).With(tmpl.Page("tasks/index", "list"))
func Page(name, block string) covet.RouteOption {
	return pageKey.Set(pageRef{name: name, block: block})
}

// HTMLEncoder returns the encoder of text/html for typed routes marked
// with Page or PageComponent; register it with covet.WithEncoders. A
// route without either answers 406 to a client that asks for HTML first.
func HTMLEncoder() covet.Encoder { return htmlEncoder{} }

type htmlEncoder struct{}

func (htmlEncoder) ContentType() string { return "text/html" }

func (htmlEncoder) Encode(io.Writer, any) error {
	return errors.New("tmpl: the HTML encoder needs the request (core's ContextEncoder)")
}

func (htmlEncoder) EncodeContext(c *covet.Context, status int, v any) error {
	ri := c.Route()
	var ref pageRef
	ok := false
	if ri != nil {
		if cref, isComp := componentKey.Get(ri); isComp {
			return cref.render(c, status, v)
		}
		ref, ok = pageKey.Get(ri)
	}
	if !ok {
		return covet.NewError(http.StatusNotAcceptable, "this resource has no HTML representation; ask for application/json")
	}
	if ref.block != "" {
		return RenderHX(c, status, ref.name, ref.block, v)
	}
	return Render(c, status, ref.name, v)
}

var _ covet.ContextEncoder = htmlEncoder{}
