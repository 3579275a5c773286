package tmpl_test

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
	"golang.org/x/text/language"
)

// TestI18nPagesVaryOnTheirLanguageInputs: a page whose language was taken
// from Accept-Language (or the language cookie) names them in Vary, or a
// shared cache (the response cache, a CDN) served the first visitor's
// language to everyone; a language chosen by the URL's query adds nothing.
func TestI18nPagesVaryOnTheirLanguageInputs(t *testing.T) {
	vary := func(h http.Header) []string {
		var out []string
		for _, v := range h.Values("Vary") {
			for item := range strings.SplitSeq(v, ",") {
				out = append(out, strings.TrimSpace(item))
			}
		}
		return out
	}
	for _, cookie := range []bool{true, false} {
		opts := []tmpl.I18nOption{}
		if !cookie {
			opts = append(opts, tmpl.WithLanguageCookie(""))
		}
		in, err := tmpl.NewI18n(os.DirFS("testdata/locales"), language.English, opts...)
		if err != nil {
			t.Fatal(err)
		}
		app, _, _ := newApp(t, testFS(), tmpl.WithI18n(in))
		app.GET("/", func(c *covet.Context) error {
			return tmpl.Render(c, 200, "i18n", map[string]any{"Name": "Ana", "N": 1, "Big": 1.5, "When": time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)})
		})
		app.GET("/vary-set", func(c *covet.Context) error {
			c.Response().Header().Set("Vary", "accept-language")
			return tmpl.Render(c, 200, "i18n", map[string]any{"Name": "Ana", "N": 1, "Big": 1.5, "When": time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)})
		})
		cl := covettest.NewServer(t, app)
		for _, tc := range []struct {
			name, path, header, query, cookie string
			want, not                         []string
		}{
			{name: "header", path: "/", header: "de", want: []string{"Accept-Language"}},
			{name: "no header", path: "/", want: []string{"Accept-Language"}},
			{name: "query", path: "/", header: "de", query: "pl", not: []string{"Accept-Language", "Cookie"}},
			{name: "cookie", path: "/", header: "de", cookie: "pl"},
			{name: "listed once", path: "/vary-set", header: "de"},
		} {
			r := cl.Get(tc.path)
			if tc.header != "" {
				r.Header("Accept-Language", tc.header)
			}
			if tc.query != "" {
				r.Query("lang", tc.query)
			}
			if tc.cookie != "" {
				r.Cookie("lang", tc.cookie)
			}
			res := r.Do().ExpectStatus(200)
			got := vary(res.Header)
			want := tc.want
			if cookie && tc.query == "" {
				want = append(want, "Cookie")
			}
			if tc.cookie != "" && !cookie {
				want = append(want, "Accept-Language")
			}
			for _, w := range want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.EqualFold(g, w) }) {
					t.Errorf("cookie %v, %s: Vary %v lacks %s", cookie, tc.name, got, w)
				}
			}
			for _, n := range tc.not {
				if slices.ContainsFunc(got, func(g string) bool { return strings.EqualFold(g, n) }) {
					t.Errorf("cookie %v, %s: Vary %v has %s", cookie, tc.name, got, n)
				}
			}
			if n := len(slices.DeleteFunc(slices.Clone(got), func(g string) bool { return !strings.EqualFold(g, "Accept-Language") })); n > 1 {
				t.Errorf("cookie %v, %s: Accept-Language listed %d times: %v", cookie, tc.name, n, got)
			}
		}
	}
}
