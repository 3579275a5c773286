package main

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
)

// TestLangCookieSecureOverHTTPS (issue 13): the language cookie the
// /lang/{code} links set carries Secure when the page was served over HTTPS
// (and not over plain HTTP, where a browser would drop it).
func TestLangCookieSecureOverHTTPS(t *testing.T) {
	app, err := NewApp(Config{DatabaseURL: ormtest.SQLite(t).DSN, Logger: slog.New(slog.DiscardHandler), AllowedHosts: []string{"board.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	covettest.Start(t, app)
	for _, https := range []bool{true, false} {
		r := httptest.NewRequest(http.MethodGet, "/lang/de", nil)
		r.Host = "board.example.com"
		if https {
			r.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, r)
		res := rec.Result()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("GET /lang/de (https=%v): status %d", https, res.StatusCode)
		}
		var lang *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == "lang" {
				lang = ck
			}
		}
		if lang == nil || lang.Value != "de" || !lang.HttpOnly {
			t.Fatalf("https=%v: lang cookie %q", https, res.Header.Values("Set-Cookie"))
		}
		if lang.Secure != https {
			t.Errorf("lang cookie Secure=%v, want %v (https=%v)", lang.Secure, https, https)
		}
	}
}
