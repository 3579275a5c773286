package tmpl_test

import (
	"os"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
	"golang.org/x/text/language"
)

func i18nApp(t *testing.T) *covet.App {
	in, err := tmpl.NewI18n(os.DirFS("testdata/locales"), language.English)
	if err != nil {
		t.Fatal(err)
	}
	app, _, _ := newApp(t, testFS(), tmpl.WithI18n(in))
	app.GET("/", func(c *covet.Context) error {
		n := 1
		if c.Query("n") != "" {
			_, _ = c.ParamInt("x") // no "x" parameter: must not panic
			n = len(c.Query("n"))
		}
		return tmpl.Render(c, 200, "i18n", map[string]any{
			"Name": "<Ana>", "N": n, "Big": 1234567.5, "When": time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC),
		})
	})
	return app
}

func TestI18nNegotiationPluralsFormats(t *testing.T) {
	cl := covettest.New(t, i18nApp(t))
	cases := []struct {
		name   string
		header string
		query  string
		cookie string
		n      string
		want   []string
	}{
		{name: "default", want: []string{`lang="en"`, "Hello, &lt;Ana&gt;!", "1 task", "1,234,567.5", "March 4, 2026", "no.such.key"}},
		{name: "accept-language", header: "de-CH;q=0.9, fr;q=0.8", n: "xxx", want: []string{`lang="de"`, "Hallo, &lt;Ana&gt;!", "3 Aufgaben", "1.234.567,5", "4. März 2026"}},
		{name: "unknown falls back", header: "ja", want: []string{`lang="en"`, "Hello"}},
		{name: "cookie beats header", header: "de", cookie: "pl", n: "xxxxx", want: []string{`lang="pl"`, "Cześć", "5 zadań"}},
		{name: "query beats cookie", header: "de", cookie: "pl", query: "en", want: []string{`lang="en"`}},
		{name: "polish few", header: "pl", n: "xx", want: []string{"2 zadania"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := cl.Get("/")
			if tc.header != "" {
				r.Header("Accept-Language", tc.header)
			}
			if tc.query != "" {
				r.Query("lang", tc.query)
			}
			if tc.n != "" {
				r.Query("n", tc.n)
			}
			if tc.cookie != "" {
				r.Cookie("lang", tc.cookie)
			}
			body := r.Do().ExpectStatus(200).Text()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("lacks %q: %s", w, body)
				}
			}
		})
	}
}

func TestI18nValidationMessageTranslated(t *testing.T) {
	in, err := tmpl.NewI18n(os.DirFS("testdata/locales"), language.English)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := in.TranslateIn(language.German, "is required")
	if got != "ist erforderlich" {
		t.Errorf("got %q", got)
	}
	if _, err := tmpl.NewI18n(os.DirFS("testdata/locales"), language.French); err == nil {
		t.Error("a default language without a file was accepted")
	}
}
