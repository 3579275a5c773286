package tmpl

import (
	"html/template"
	"time"

	covet "github.com/covetgo/covet/core"
)

// Option configures an Engine.
type Option func(*config)

type config struct {
	exts        []string
	shared      []string // directories whose templates every page sees
	layout      string
	dev         *bool
	funcs       template.FuncMap
	globals     map[string]func(*covet.Context) any
	csrf        func(*covet.Context) string
	csrfField   string
	assets      *Assets
	i18n        *I18n
	flashCookie string
	// flashKeys[0] signs flashes, all of them verify; nil until Install
	// without WithFlashKey(s).
	flashKeys    [][]byte
	flashTTL     time.Duration
	flashBinding func(*covet.Context) string
	now          func() time.Time
	// secretFields replaces DefaultSecretFields when not nil.
	secretFields []string
	interpreted  bool // WithCompiled(false)
}

func defaultConfig() config {
	return config{
		exts:        []string{".html", ".gohtml", ".tmpl"},
		shared:      []string{"layouts", "partials", "components"},
		layout:      "layouts/base",
		funcs:       template.FuncMap{},
		globals:     map[string]func(*covet.Context) any{},
		csrfField:   "csrf_token",
		flashCookie: "flash",
		flashTTL:    DefaultFlashTTL,
		now:         time.Now,
	}
}

// WithExtensions sets the file extensions that are templates (default
// ".html", ".gohtml", ".tmpl"). Other files are ignored.
func WithExtensions(exts ...string) Option { return func(c *config) { c.exts = exts } }

// WithSharedDirs sets the directories whose templates every page can use
// (default "layouts", "partials", "components"). A file there is a
// template named by its path without the extension ("partials/task"), and
// the templates it defines are visible to every page.
func WithSharedDirs(dirs ...string) Option { return func(c *config) { c.shared = dirs } }

// WithLayout sets the layout a page that only defines blocks is rendered
// in (default "layouts/base"; "" for none). A page with content outside its
// {{define}} blocks is rendered as it is and may call any layout itself:
// {{template "layouts/admin" .}}.
func WithLayout(name string) Option { return func(c *config) { c.layout = name } }

// WithDevelopment overrides the app's development mode for templates: on,
// templates and assets are re-read when a file changes, on the next render.
// By default the engine follows App.Development.
func WithDevelopment(on bool) Option { return func(c *config) { c.dev = &on } }

// WithFuncs adds template functions. They must not depend on the request;
// for per-request values use WithGlobal.
func WithFuncs(fm template.FuncMap) Option {
	return func(c *config) {
		for k, v := range fm {
			c.funcs[k] = v
		}
	}
}

// WithGlobal adds a template function name, without arguments, whose value
// is fn's answer for the request being rendered: the current user, the
// tenant, anything a middleware put in the context. Handlers then pass only
// their own data:
//
//	tmpl.WithGlobal("user", func(c *covet.Context) any { u, _ := auth.UserFrom(c); return u })
//	{{with user}}Signed in as {{.Name}}{{end}}
func WithGlobal(name string, fn func(c *covet.Context) any) Option {
	return func(c *config) { c.globals[name] = fn }
}

// WithCSRF sets where the request's CSRF token comes from, for the
// csrfToken and csrfField template functions; with the auth plugin pass its
// token function: tmpl.WithCSRF(auth.CSRFToken). The plugins do not import
// each other. field is the form field name the checker reads ("" for
// "csrf_token", the auth plugin's).
func WithCSRF(token func(c *covet.Context) string, field string) Option {
	return func(c *config) {
		c.csrf = token
		if field != "" {
			c.csrfField = field
		}
	}
}

// WithAssets makes the asset template function answer from a pipeline's
// manifest (hashed URLs); see NewAssets.
func WithAssets(a *Assets) Option { return func(c *config) { c.assets = a } }

// WithI18n makes the t, locale, formatNumber and formatDate template
// functions answer in the request's language; see NewI18n.
func WithI18n(i *I18n) Option { return func(c *config) { c.i18n = i } }

// WithFlashCookie sets the name of the flash messages' cookie (default
// "flash").
func WithFlashCookie(name string) Option { return func(c *config) { c.flashCookie = name } }

// WithFlashKey sets the key (at least MinFlashKey bytes) that signs the
// flash cookie, like Flask's SECRET_KEY: every instance behind a load
// balancer needs the same one for a flash set by one to show on another.
// Without it the engine signs with a random key it makes at Install, so a
// flash added before a restart, or by another instance, is dropped. Derive it
// from the app's secret with a purpose of its own ("flash"), not the key
// of tokens or CSRF.
func WithFlashKey(key []byte) Option { return WithFlashKeys(key) }

// WithFlashKeys sets the keys of the flash cookie for a rotation: the first
// signs, every one verifies, so a deployment that puts a new key first and
// keeps the old one second drops no flash set before (each key at least
// MinFlashKey bytes). The old key can go after the flash lifetime
// (WithFlashTTL). WithFlashKey(k) is WithFlashKeys(k).
func WithFlashKeys(keys ...[]byte) Option {
	return func(c *config) {
		c.flashKeys = make([][]byte, len(keys))
		for i, k := range keys {
			c.flashKeys[i] = append([]byte{}, k...)
		}
	}
}

// DefaultFlashTTL is how long a flash waits for the page that shows it.
const DefaultFlashTTL = 5 * time.Minute

// WithFlashTTL sets how long a flash is valid after AddFlash (default
// DefaultFlashTTL): the expiry is inside the signed value, so a flash
// cookie captured or replayed later is ignored. Flashes are read on the
// next page, usually within a second; d <= 0 keeps the default.
func WithFlashTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.flashTTL = d
		}
	}
}

// WithFlashBinding binds each flash to a value of the browser's session,
// returned by fn ("" for none), inside the signature: a flash signed for one
// session (an attacker's, planted by a sibling subdomain) is ignored in
// another. With the auth plugin pass its session binding, as for CSRF the
// plugins do not import each other:
//
//	tmpl.WithFlashBinding(auth.SessionBinding)
//
// In the request that signs in or out, add flashes after StartSession or
// EndSession: the binding is then the session the browser has from the next
// page on (a flash added before would be bound to the old one and dropped).
func WithFlashBinding(fn func(c *covet.Context) string) Option {
	return func(c *config) { c.flashBinding = fn }
}

// WithClock sets the clock flash expiry is judged by (tests).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithSecretFields sets the words that make a form field secret, its
// value never echoed when Bind's form is re-rendered (default
// DefaultSecretFields; see it for how a word matches a name). It replaces
// the list: to extend it pass
// append(slices.Clone(tmpl.DefaultSecretFields), "maiden_name").
// Form.Secret names more fields for one form.
func WithSecretFields(words ...string) Option {
	return func(c *config) { c.secretFields = append([]string{}, words...) }
}

// WithCompiled turns the compiled executor on (the default) or off. On,
// a page whose escaped html/template tree the executor supports is
// rendered by Go closures compiled from that tree instead of
// html/template's reflective interpreter, with byte-identical output (see
// the README: "Compiled rendering"); any page, value or error it does not
// handle is rendered by html/template itself. Off, html/template renders
// every page.
func WithCompiled(on bool) Option { return func(c *config) { c.interpreted = !on } }
