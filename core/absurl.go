package covet

import (
	"errors"
	"net/url"

	"github.com/covetgo/covet/core/internal/urlx"
)

// WithPublicURL sets the app's public base URL ("https://example.com/app"),
// for AbsoluteURL (App's, and Context's in place of the request's scheme
// and host). A URL that is not absolute http(s) panics.
func WithPublicURL(base string) Option {
	u, ok := urlx.ParseBase(base)
	if !ok {
		panic("covet: WithPublicURL: " + base + " is not an absolute http(s) URL without query")
	}
	return func(c *config) { c.publicURL = u }
}

// AbsoluteURL builds the absolute URL of the named route on the app's
// public URL (WithPublicURL), with its parameters as URL does and query
// appended (nil for none):
//
//	link, err := app.AbsoluteURL("user.confirm", url.Values{"token": {tok}}, "id", 42)
func (a *App) AbsoluteURL(name string, query url.Values, pairs ...any) (string, error) {
	if a.cfg.publicURL == nil {
		return "", errors.New("covet: AbsoluteURL needs the app's public URL (WithPublicURL)")
	}
	return a.absolute(a.cfg.publicURL.Scheme, a.cfg.publicURL.Host, a.cfg.publicURL.Path, name, query, pairs)
}

// AbsoluteURL builds the absolute URL of the named route for this request's
// client (OAuth callbacks): on the app's public URL, else on the client's
// Scheme and Host.
func (c *Context) AbsoluteURL(name string, query url.Values, pairs ...any) (string, error) {
	if u := c.app.cfg.publicURL; u != nil {
		return c.app.absolute(u.Scheme, u.Host, u.Path, name, query, pairs)
	}
	return c.app.absolute(c.Scheme(), c.Host(), "", name, query, pairs)
}

func (a *App) absolute(scheme, host, prefix, name string, query url.Values, pairs []any) (string, error) {
	p, err := a.URL(name, pairs...)
	if err != nil {
		return "", err
	}
	return urlx.Absolute(scheme, host, prefix, p, query), nil
}
