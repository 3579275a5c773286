package tmpl

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"time"

	covet "github.com/covetgo/covet/core"
)

// The template functions.
//
// Independent of the request:
//
//	url "task.show" "id" 42     the path of a named route (App.URL)
//	absURL "task.show" "id" 42  the absolute URL (App.AbsoluteURL)
//	asset "app.js"              the hashed URL of an asset (WithAssets)
//	dict "k1" v1 "k2" v2        a map, to pass several values to a partial
//	list a b c                  a slice
//	htmxConfig                  a <meta> letting htmx swap 422 answers
//	asset "htmx.js"             the vendored htmx (HTMXVersion)
//
// Per request (bound to the request being rendered, without a copy of the
// template per request):
//
//	csrfToken                   the CSRF token (WithCSRF)
//	csrfField                   a hidden input carrying it
//	t "key" args...             a translated message (WithI18n); args are
//	                            "Name" value pairs, and "Count" n picks the
//	                            plural form
//	locale                      the negotiated language tag ("de")
//	formatNumber n              a number in the request's locale
//	formatDate t "medium"       a date in the request's locale
//	flashes                     the flash messages, read once
//	hx                          the htmx request headers (HX)
//	<global>                    each WithGlobal function
func (e *Engine) parseFuncs() template.FuncMap {
	fm := template.FuncMap{
		"url":        e.urlFunc,
		"absURL":     e.absURLFunc,
		"asset":      e.assetFunc,
		"dict":       dict,
		"list":       func(v ...any) []any { return v },
		"htmxConfig": htmxConfigMeta,
	}
	for k, v := range e.cfg.funcs {
		fm[k] = v
	}
	var r request
	r.e = e
	for k, v := range e.requestFuncs(&r) {
		fm[k] = v
	}
	return fm
}

// requestFuncs returns the per-request functions bound to r, which the
// renderer points at the current request.
func (e *Engine) requestFuncs(r *request) template.FuncMap {
	fm := template.FuncMap{
		"csrfToken":    r.csrfToken,
		"csrfField":    r.csrfFieldHTML,
		"t":            r.translate,
		"locale":       r.locale,
		"formatNumber": r.formatNumber,
		"formatDate":   r.formatDate,
		"flashes":      r.flashes,
		"hx":           r.hx,
	}
	for name, fn := range e.cfg.globals {
		fm[name] = func() any {
			if r.c == nil {
				return nil
			}
			return fn(r.c)
		}
	}
	return fm
}

func (e *Engine) urlFunc(name string, pairs ...any) (string, error) {
	if e.app == nil {
		return "", errors.New("tmpl: url: the engine is not installed")
	}
	return e.app.URL(name, pairs...)
}

func (e *Engine) absURLFunc(name string, pairs ...any) (string, error) {
	if e.app == nil {
		return "", errors.New("tmpl: absURL: the engine is not installed")
	}
	return e.app.AbsoluteURL(name, url.Values(nil), pairs...)
}

func (e *Engine) assetFunc(name string) (string, error) {
	if name == "htmx.js" && (e.cfg.assets == nil || e.cfg.assets.Manifest()[name] == "") {
		return HTMXPath(), nil
	}
	if e.cfg.assets == nil {
		return "", fmt.Errorf("tmpl: asset %q: no asset pipeline (WithAssets)", name)
	}
	return e.cfg.assets.URL(name)
}

func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("tmpl: dict: an odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("tmpl: dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

func (r *request) csrfToken() string {
	if r.c == nil || r.e.cfg.csrf == nil {
		return ""
	}
	return r.e.cfg.csrf(r.c)
}

func (r *request) csrfFieldHTML() template.HTML {
	tok := r.csrfToken()
	if tok == "" {
		return ""
	}
	return template.HTML(`<input type="hidden" name="` + template.HTMLEscapeString(r.e.cfg.csrfField) +
		`" value="` + template.HTMLEscapeString(tok) + `">`)
}

func (r *request) translate(key string, args ...any) (string, error) {
	if r.e.cfg.i18n == nil {
		return key, nil
	}
	if r.c == nil {
		return key, nil
	}
	return r.e.cfg.i18n.Translate(r.c, key, args...)
}

func (r *request) locale() string {
	if r.e.cfg.i18n == nil || r.c == nil {
		return "en"
	}
	return r.e.cfg.i18n.Locale(r.c).String()
}

func (r *request) formatNumber(n any) string {
	if r.e.cfg.i18n == nil || r.c == nil {
		return fmt.Sprint(n)
	}
	return r.e.cfg.i18n.FormatNumber(r.c, n)
}

func (r *request) formatDate(t time.Time, style ...string) string {
	st := "medium"
	if len(style) > 0 {
		st = style[0]
	}
	if r.e.cfg.i18n == nil || r.c == nil {
		return t.Format("2006-01-02")
	}
	return r.e.cfg.i18n.FormatDate(r.c, t, st)
}

func (r *request) flashes() []Flash {
	if r.c == nil {
		return nil
	}
	return Flashes(r.c)
}

func (r *request) hx() HXRequest {
	if r.c == nil {
		return HXRequest{}
	}
	return HX(r.c)
}

var _ = covet.New
