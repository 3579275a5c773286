package covet

import "errors"

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
