package tmpl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	covet "github.com/covetgo/covet/core"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
	"gopkg.in/yaml.v3"
)

// I18n holds message catalogs (go-i18n) and picks each request's language.
// Create it with NewI18n and pass it to the engine with WithI18n.
type I18n struct {
	bundle   *i18n.Bundle
	def      language.Tag
	tags     []language.Tag
	matcher  language.Matcher
	cookie   string
	query    string
	locs     sync.Map // language.Tag -> *i18n.Localizer
	printers sync.Map // language.Tag -> *message.Printer
}

// I18nOption configures NewI18n.
type I18nOption func(*I18n)

// WithLanguageCookie sets the cookie that overrides Accept-Language
// (default "lang"; "" for none).
func WithLanguageCookie(name string) I18nOption { return func(i *I18n) { i.cookie = name } }

// WithLanguageQuery sets the query parameter that overrides the cookie and
// Accept-Language (default "lang"; "" for none).
func WithLanguageQuery(name string) I18nOption { return func(i *I18n) { i.query = name } }

var localeKey = covet.NewKey[language.Tag]("tmpl.locale")

// NewI18n loads every message file of fsys (TOML, JSON or YAML, named by
// language: "en.toml", "active.de.json") in the go-i18n format, with plural
// forms (one, other, few, ...) from CLDR. def is the fallback language,
// which must have a file. The languages offered are those with a file.
func NewI18n(fsys fs.FS, def language.Tag, opts ...I18nOption) (*I18n, error) {
	b := i18n.NewBundle(def)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	b.RegisterUnmarshalFunc("yml", yaml.Unmarshal)
	in := &I18n{bundle: b, def: def, cookie: "lang", query: "lang"}
	for _, o := range opts {
		o(in)
	}
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch path.Ext(p) {
		case ".toml", ".json", ".yaml", ".yml":
			if !d.IsDir() {
				files = append(files, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tmpl: reading message files: %w", err)
	}
	sort.Strings(files)
	var tags []language.Tag
	for _, f := range files {
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("tmpl: %w", err)
		}
		mf, err := b.ParseMessageFileBytes(src, f)
		if err != nil {
			return nil, fmt.Errorf("tmpl: message file %s: %w", f, err)
		}
		if !slices.Contains(tags, mf.Tag) {
			tags = append(tags, mf.Tag)
		}
	}
	hasDef := slices.Contains(tags, def)
	if !hasDef {
		return nil, fmt.Errorf("tmpl: no message file for the default language %s", def)
	}
	// The default first: the matcher falls back to its first tag.
	in.tags = append([]language.Tag{def}, slicesWithout(tags, def)...)
	in.matcher = language.NewMatcher(in.tags)
	return in, nil
}

func slicesWithout(ts []language.Tag, x language.Tag) []language.Tag {
	var out []language.Tag
	for _, t := range ts {
		if t != x {
			out = append(out, t)
		}
	}
	return out
}

// Languages returns the offered languages, the default first.
func (in *I18n) Languages() []language.Tag { return append([]language.Tag(nil), in.tags...) }

// Locale returns the request's language: the query parameter, else the
// cookie, else the best match of Accept-Language, else the default. It is
// decided once per request. Unless the query parameter decides, the headers
// consulted (Cookie when a language cookie is configured, Accept-Language)
// are added to the response's Vary, for shared caches.
func (in *I18n) Locale(c *covet.Context) language.Tag {
	if t, ok := localeKey.Get(c); ok {
		return t
	}
	t := in.def
	if in.query != "" {
		if v := c.Query(in.query); v != "" {
			if m, ok := in.match(v); ok {
				// Decided by the URL: nothing to add to Vary.
				localeKey.Set(c, m)
				return m
			}
		}
	}
	// From here the answer depends on request headers: a shared cache
	// (the response cache, a CDN) must key the page by them, or one
	// visitor's language is served to everyone.
	h := c.Response().Header()
	if in.cookie != "" {
		addVary(h, "Cookie")
		if v, ok := c.Cookie(in.cookie); ok && v != "" {
			if m, ok := in.match(v); ok {
				localeKey.Set(c, m)
				return m
			}
		}
	}
	addVary(h, "Accept-Language")
	if al := c.Header("Accept-Language"); al != "" {
		if want, _, err := language.ParseAcceptLanguage(al); err == nil && len(want) > 0 {
			m, _, conf := in.matcher.Match(want...)
			if conf > language.No {
				t = in.base(m)
			}
		}
	}
	localeKey.Set(c, t)
	return t
}

// match returns the offered language a query parameter or cookie names,
// when it is one (high confidence).
func (in *I18n) match(v string) (language.Tag, bool) {
	pt, err := language.Parse(v)
	if err != nil {
		return language.Tag{}, false
	}
	m, _, conf := in.matcher.Match(pt)
	if conf < language.High {
		return language.Tag{}, false
	}
	return in.base(m), true
}

// addVary adds name to the Vary header unless it is listed already.
func addVary(h http.Header, name string) {
	for _, v := range h.Values("Vary") {
		for item := range strings.SplitSeq(v, ",") {
			if t := strings.TrimSpace(item); t == "*" || strings.EqualFold(t, name) {
				return
			}
		}
	}
	h.Add("Vary", name)
}

// base maps a matcher answer ("de-u-rg-chzzzz") to the offered tag it came
// from.
func (in *I18n) base(m language.Tag) language.Tag {
	_, idx, _ := in.matcher.Match(m)
	if idx >= 0 && idx < len(in.tags) {
		return in.tags[idx]
	}
	return in.def
}

func (in *I18n) localizer(t language.Tag) *i18n.Localizer {
	if l, ok := in.locs.Load(t); ok {
		return l.(*i18n.Localizer)
	}
	l := i18n.NewLocalizer(in.bundle, t.String(), in.def.String())
	in.locs.Store(t, l)
	return l
}

// Translate returns the message id in the request's language. args are
// "Name", value pairs for the message's template ({{.Name}}); a "Count"
// pair also picks the plural form. A message missing from the request's
// language comes from the default one; missing from both, the id itself is
// returned, so a core validation message ("is required") shows as it is
// until a catalog translates it.
func (in *I18n) Translate(c *covet.Context, id string, args ...any) (string, error) {
	return in.TranslateIn(in.Locale(c), id, args...)
}

// TranslateIn is Translate for a given language.
func (in *I18n) TranslateIn(t language.Tag, id string, args ...any) (string, error) {
	if len(args)%2 != 0 {
		return "", fmt.Errorf("tmpl: t %q: arguments must be name, value pairs", id)
	}
	lc := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i < len(args); i += 2 {
			k, ok := args[i].(string)
			if !ok {
				return "", fmt.Errorf("tmpl: t %q: argument name %v is not a string", id, args[i])
			}
			data[k] = args[i+1]
			if k == "Count" {
				lc.PluralCount = args[i+1]
			}
		}
		lc.TemplateData = data
	}
	s, err := in.localizer(t).Localize(lc)
	if err != nil {
		var nf *i18n.MessageNotFoundErr
		if errors.As(err, &nf) {
			if s != "" {
				return s, nil // found in the fallback language
			}
			return id, nil
		}
		return "", fmt.Errorf("tmpl: t %q: %w", id, err)
	}
	return s, nil
}

func (in *I18n) printer(t language.Tag) *message.Printer {
	if p, ok := in.printers.Load(t); ok {
		return p.(*message.Printer)
	}
	p := message.NewPrinter(t)
	in.printers.Store(t, p)
	return p
}

// FormatNumber formats n with the request's language's digit grouping and
// decimal separator (golang.org/x/text/message): 1234.5 is "1,234.5" in
// English and "1.234,5" in German.
func (in *I18n) FormatNumber(c *covet.Context, n any) string {
	return in.printer(in.Locale(c)).Sprint(number.Decimal(n))
}

// FormatDate formats t in a style ("short", "medium", "long") whose Go
// layout is the message "date.<style>" of the request's language, with
// month names from the messages "month.1" … "month.12" when the layout
// has "January". Defaults: "2006-01-02", "2 Jan 2006", "2 January 2006".
func (in *I18n) FormatDate(c *covet.Context, t time.Time, style string) string {
	loc := in.Locale(c)
	def := map[string]string{"short": "2006-01-02", "medium": "2 Jan 2006", "long": "2 January 2006"}[style]
	if def == "" {
		def = style // a Go layout given directly
	}
	layout, _ := in.TranslateIn(loc, "date."+style)
	if layout == "date."+style {
		layout = def
	}
	if strings.Contains(layout, "January") {
		mid := fmt.Sprintf("month.%d", int(t.Month()))
		if name, _ := in.TranslateIn(loc, mid); name != mid {
			layout = strings.ReplaceAll(layout, "January", "\x00")
			return strings.ReplaceAll(t.Format(layout), "\x00", name)
		}
	}
	return t.Format(layout)
}
