package covet

import "errors"

// ErrorTranslator maps an error a handler returned to the HTTP error the
// client should see (a database's unique violation to 409), or returns nil
// when it does not know the error. See App.TranslateErrors.
type ErrorTranslator func(c *Context, err error) *Error

// TranslateErrors registers a translator, typically from a plugin's
// Install. Translation happens where the error is handled, once per
// request, whatever the order middleware and plugins were added in: an
// error that reaches the error handler (returned from the handler chain or
// passed to Context.HandleError) is first offered to the translators, in
// the order they were registered, and the first non-nil answer is rendered
// instead. Errors that already carry a status (*Error, StatusCoder) are not
// offered. The answer keeps the original error as its cause (errors.Is and
// errors.As see through it, logs show it) and is copied, so a translator
// may return a shared *Error.
//
// Middleware should therefore return errors rather than render them: the
// error is rendered at the outermost point, and middleware that needs the
// final status reads it in a Context.OnDone callback (as
// middleware.AccessLog does) or asks Context.TranslateError.
//
// Call it before the app serves, as Use.
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

// TranslateError returns the error the error handler will render for err:
// the answer of the first translator that knows it (App.TranslateErrors),
// or err itself. Middleware that needs the status of an error it passes on
// asks here without rendering it.
func (c *Context) TranslateError(err error) error {
	return c.app.translate(c, err)
}

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

// WrapErrorHandler extends error rendering after New, for plugins and apps:
// w receives the error handler in place (the default, WithErrorHandler's,
// or an earlier wrapper's) and returns the one to use. A wrapper may add
// headers before calling next (auth adds WWW-Authenticate to 401s), render
// some errors itself and pass the others on (a template plugin renders
// HTML error pages for browsers), or log. Wrappers added later run first.
// The error it gets is already translated (App.TranslateErrors). Call it
// before the app serves, as Use.
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
