package covet

import (
	"errors"

	"github.com/covetgo/covet/core/internal/devpage"
)

// writeDevPage renders the development error page (core/internal/devpage).
func writeDevPage(c *Context, p Problem, err error) {
	d := devpage.Data{Status: p.Status, Title: p.Title, RequestID: p.RequestID, Err: err.Error()}
	for _, fe := range p.Errors {
		d.Errors = append(d.Errors, [3]string{fe.Location, fe.Field, fe.Message})
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		d.Stack = string(pe.Stack)
	}
	if c.route != nil {
		d.Route = c.route.info.String()
	}
	devpage.Write(c.res, c.req, p.Status, d)
}
