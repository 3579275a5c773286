package covet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/covetgo/covet/core/internal/devpage"
	"github.com/covetgo/covet/core/internal/problemjson"
)

// Error is an HTTP error a handler returns: the error handler writes it as an
// RFC 9457 problem (application/problem+json). Create one with NewError or
// Errorf and refine it with the With methods, which change the error they
// are called on: call them on a new error or a Clone, never on a shared one.
type Error struct {
	Status     int            // the HTTP status code
	Type       string         // a URI naming the problem type ("about:blank" when empty)
	Title      string         // a short summary (default: the status text)
	Detail     string         // explains this occurrence; sent to the client
	Errors     []FieldError   // field errors (validation)
	Extensions map[string]any // extra members of the problem object
	Headers    http.Header    // added to the response (Allow, Retry-After, WWW-Authenticate)

	cause error
}

// FieldError is one failing field of a validation error.
type FieldError struct {
	Location string `json:"location"`          // "path", "query", "header", "cookie", "form" or "body"
	Field    string `json:"field"`             // the parameter name, or a body field's dotted path ("items.3.price")
	Pointer  string `json:"pointer,omitempty"` // a body field's RFC 6901 JSON pointer ("/items/3/price")
	Message  string `json:"message"`           // what is wrong, for humans
	Value    any    `json:"value,omitempty"`   // the rejected value, when safe to echo
}

// NewError returns an HTTP error with a status and a detail for the client.
func NewError(status int, detail string) *Error { return &Error{Status: status, Detail: detail} }

// Errorf returns an HTTP error whose detail is formatted as fmt.Errorf does
// (the detail is sent to the client); a %w verb also keeps the wrapped error
// for errors.Is/As.
func Errorf(status int, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Status: status, Detail: err.Error(), cause: errors.Unwrap(err)}
}

// Clone returns a deep copy of the error (headers, extensions and field
// errors copied), to refine a shared error per request:
//
//	return errGone.Clone().WithHeader("Link", link)
func (e *Error) Clone() *Error {
	cp := *e
	cp.Headers = e.Headers.Clone()
	cp.Extensions = maps.Clone(e.Extensions)
	cp.Errors = slices.Clone(e.Errors)
	return &cp
}

// WithCause attaches an underlying error for logs and errors.Is/As; it is
// not sent to the client.
func (e *Error) WithCause(err error) *Error { e.cause = err; return e }

// WithType sets the problem type URI.
func (e *Error) WithType(uri string) *Error { e.Type = uri; return e }

// WithTitle sets the problem title.
func (e *Error) WithTitle(t string) *Error { e.Title = t; return e }

// WithHeader adds a response header.
func (e *Error) WithHeader(k, v string) *Error {
	if e.Headers == nil {
		e.Headers = http.Header{}
	}
	e.Headers.Add(k, v)
	return e
}

// WithExtension adds a member to the problem object.
func (e *Error) WithExtension(k string, v any) *Error {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions[k] = v
	return e
}

// Error implements error.
func (e *Error) Error() string {
	return problemjson.ErrorString(e.Status, e.Title, e.Detail, e.Errors, e.cause)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.cause }

// StatusCode returns the status.
func (e *Error) StatusCode() int { return e.Status }

// StatusCoder is implemented by errors that carry an HTTP status; the
// default error handler answers with it (other errors are 500).
type StatusCoder interface{ StatusCode() int }

// Problem is the RFC 9457 problem object the default error handler writes.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
	// Extensions are merged into the top-level object when encoded.
	Extensions map[string]any `json:"-"`
}

// MarshalJSON encodes the standard members first (in the order above), then
// the extensions sorted by name; an extension named like a present standard
// member is left out.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := defaultJSON.Marshal(plain(p))
	if err != nil || len(p.Extensions) == 0 {
		return b, err
	}
	present := map[string]bool{"type": true, "title": true, "status": true,
		"detail": p.Detail != "", "instance": p.Instance != "", "request_id": p.RequestID != "", "errors": len(p.Errors) > 0}
	return problemjson.AddExtensions(b, p.Extensions, func(k string) bool { return present[k] }, defaultJSON.Marshal)
}

// PanicError is the error a recovered panic becomes. The stack is logged and
// shown on the development error page, never sent to an API client.
type PanicError struct {
	Value any
	Stack []byte
}

// NewPanicError wraps a recovered value with the current stack (a
// *PanicError is returned as is); recovery middleware uses it so the error
// handler treats the panic as a 500.
func NewPanicError(v any) *PanicError {
	if pe, ok := v.(*PanicError); ok {
		return pe
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// Error implements error.
func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Unwrap returns the panic value when it is an error.
func (p *PanicError) Unwrap() error {
	if err, ok := p.Value.(error); ok {
		return err
	}
	return nil
}

// ErrorHandler writes the response for an error a handler returned. It runs
// at most once per request; it must not return an error, and should check
// c.Response().Written() before writing.
type ErrorHandler func(c *Context, err error)

// handleError runs the error handler once per request.
func (a *App) handleError(c *Context, err error) {
	if c.errHandled {
		if !c.res.written {
			// The error handler panicked (or wrote nothing) and this is
			// what followed: without an answer here the client got an
			// empty 200 for a failed request.
			DefaultErrorHandler(c, err)
			return
		}
		a.logger.WarnContext(c.Context(), "covet: error after the error was handled", "error", err)
		return
	}
	c.errHandled = true
	c.dirty = true
	if c.res.written && !c.res.refused && !errors.Is(err, ErrDraining) {
		c.abortErr = err // too late for an answer: ServeHTTP aborts the response
	}
	a.cfg.errorHandler(c, a.translate(c, err))
}

// HandleError hands err to the app's error handler (at most once per
// request), as returning it would, for middleware that must answer before
// returning (timeouts).
func (c *Context) HandleError(err error) { c.app.handleError(c, err) }

// ProblemFor builds the problem object for an error: the status comes from a
// StatusCoder (else 500; a status outside 400–599 is 500 too), and for 5xx
// errors that are not *Error nothing of the error's text is included.
func ProblemFor(c *Context, err error) (Problem, http.Header) {
	status := http.StatusInternalServerError
	e, isErr := err.(*Error) // the common case, without errors.As
	var sc StatusCoder
	if isErr {
		status = e.Status
	} else if errors.As(err, &sc) {
		status = sc.StatusCode()
	}
	if status < 400 || status > 599 {
		// Not an error status: 0 made WriteHeader panic (an empty 200 was
		// sent), a 2xx told the client the request succeeded and a 1xx was
		// sent as an interim response before an empty 200.
		status = http.StatusInternalServerError
	}
	p := Problem{Type: "about:blank", Status: status, Title: http.StatusText(status), RequestID: c.RequestID()}
	if c.req != nil {
		// A URI reference (RFC 9457 §3.1.5): the path as escaped on the
		// wire ("/files/a%20b"); the decoded path was not one.
		p.Instance = c.req.URL.EscapedPath()
	}
	var hdr http.Header
	if isErr || errors.As(err, &e) {
		if e.Type != "" {
			p.Type = e.Type
		}
		if e.Title != "" {
			p.Title = e.Title
		}
		p.Detail = e.Detail
		p.Errors = e.Errors
		p.Extensions = e.Extensions
		hdr = e.Headers
	} else if status < 500 {
		p.Detail = err.Error()
	}
	if p.Title == "" {
		p.Title = "Error"
	}
	return p, hdr
}

// DefaultErrorHandler writes errors as RFC 9457 problems. 5xx errors are
// logged (panics with their stack); in development mode a browser asking for
// HTML gets a page with the error, the stack and the request instead.
func DefaultErrorHandler(c *Context, err error) {
	p, hdr := ProblemFor(c, err)
	a := c.app
	if errors.Is(err, ErrDraining) {
		a.logger.DebugContext(c.Context(), "covet: response ended by shutdown", "method", c.req.Method, "path", c.req.URL.Path)
	} else if p.Status >= 500 && errors.Is(err, context.Canceled) {
		a.logger.DebugContext(c.Context(), "covet: client went away", "method", c.req.Method, "path", c.req.URL.Path)
	} else if p.Status >= 500 {
		attrs := []any{"error", err.Error(), "status", p.Status, "method", c.req.Method, "path", c.req.URL.Path}
		if c.route != nil {
			attrs = append(attrs, "route", c.route.info.Pattern)
		}
		var pe *PanicError
		if errors.As(err, &pe) {
			attrs = append(attrs, "stack", string(pe.Stack))
		}
		a.logger.ErrorContext(c.Context(), "covet: request failed", attrs...)
	}
	res := c.res
	if res.Written() {
		return
	}
	h := res.Header()
	for _, k := range staleHeaders {
		// What the failed handler set for the body it meant to send: left
		// on the problem, Content-Encoding: gzip made it unreadable ("gzip:
		// invalid header") and Content-Disposition saved it as the file.
		delete(h, k)
	}
	for k, v := range hdr {
		h[k] = slices.Clone(v) // the error may be shared
	}
	if a.cfg.development && strings.Contains(c.req.Header.Get("Accept"), "text/html") {
		writeDevPage(c, p, err)
		return
	}
	problemjson.Write(res, &p, c.req.Method == http.MethodHead, smallBody, a.cfg.json.Marshal)
}

// staleHeaders describe the representation a failed handler was about to
// send, not the problem written instead; an error's own headers (a 416's
// Content-Range) are set after they are removed.
var staleHeaders = []string{"Content-Encoding", "Content-Disposition", "Content-Range", "Etag", "ETag", "Last-Modified"}

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

// ErrorTranslator maps an error a handler returned to the HTTP error the
// client should see (a database's unique violation to 409), or returns nil
// when it does not know the error. See App.TranslateErrors.
type ErrorTranslator func(c *Context, err error) *Error

// TranslateErrors registers a translator (typically in a plugin's Install;
// before the app serves). An error reaching the error handler without a
// status (not *Error nor StatusCoder) is offered to the translators in
// registration order, once, whatever the order middleware and plugins were
// added in; the first answer, copied and with the error as its cause, is
// rendered instead. So middleware returns errors rather than rendering them,
// and reads the final status in OnDone or with Context.TranslateError.
func (a *App) TranslateErrors(fn ErrorTranslator) {
	a.configuring("TranslateErrors")
	if fn != nil {
		a.cfg.translators = append(a.cfg.translators, fn)
	}
}

// TranslateError registers a translator for errors of type E, found in the
// error's chain with errors.As:
//
//	covet.TranslateError(app, func(c *covet.Context, e *store.NotFoundError) *covet.Error {
//		return covet.NewError(http.StatusNotFound, e.What+" does not exist")
//	})
func TranslateError[E error](a *App, fn func(c *Context, e E) *Error) {
	a.TranslateErrors(func(c *Context, err error) *Error {
		var e E
		if errors.As(err, &e) {
			return fn(c, e)
		}
		return nil
	})
}

// TranslateError returns the error the error handler will render for err
// (see App.TranslateErrors), for middleware that needs its status.
func (c *Context) TranslateError(err error) error { return c.app.translate(c, err) }

func (a *App) translate(c *Context, err error) error {
	if len(a.cfg.translators) == 0 || err == nil {
		return err
	}
	if _, ok := err.(*Error); ok {
		return err
	}
	var sc StatusCoder
	if errors.As(err, &sc) {
		return err
	}
	for _, t := range a.cfg.translators {
		if e := t(c, err); e != nil {
			cp := e.Clone()
			if cp.cause == nil {
				cp.cause = err
			}
			return cp
		}
	}
	return err
}

// ErrorHandlerWrapper wraps the app's error handler (see
// App.WrapErrorHandler).
type ErrorHandlerWrapper func(next ErrorHandler) ErrorHandler

// WrapErrorHandler extends error rendering after New (before the app
// serves): w gets the error handler in place and returns the one to use,
// which may add headers (WWW-Authenticate), render some errors itself (HTML
// pages) and pass on the others, already translated. Later wrappers run first.
func (a *App) WrapErrorHandler(w ErrorHandlerWrapper) {
	a.configuring("WrapErrorHandler")
	if w == nil {
		return
	}
	if h := w(a.cfg.errorHandler); h != nil {
		a.cfg.errorHandler = h
	}
}

// ErrorHandler returns the app's error handler as configured so far.
func (a *App) ErrorHandler() ErrorHandler { return a.cfg.errorHandler }
