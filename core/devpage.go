package covet

import (
	"errors"

	"github.com/covetgo/covet/core/internal/devpage"
)

// writeDevPage renders the development error page (core/internal/devpage).
func writeDevPage(c *Context, p Problem, err error) {
	d := devpage.Data{P: p, Err: err.Error()}
	var pe *PanicError
	if errors.As(err, &pe) {
		d.Stack = string(pe.Stack)
	}
	if c.route != nil {
		d.Route = c.route.info.String()
	}
	devpage.Write(c.res, c.req, p.Status, d)
}
