package tmpl_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestFlashCookieSecureOverHTTPS (issue 13): over HTTPS both the flash
// cookie and the cookie that deletes it after reading carry Secure, as
// every cookie Covet sets does; over plain HTTP neither does (a browser
// would drop a Secure cookie set over http).
func TestFlashCookieSecureOverHTTPS(t *testing.T) {
	app := formApp(t)
	do := func(r *http.Request, https bool) *http.Response {
		if https {
			r.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, r)
		return rec.Result()
	}
	flashCookie := func(t *testing.T, res *http.Response) *http.Cookie {
		t.Helper()
		for _, ck := range res.Cookies() {
			if ck.Name == "flash" {
				return ck
			}
		}
		t.Fatalf("no flash cookie in %q", res.Header.Values("Set-Cookie"))
		return nil
	}
	for _, https := range []bool{true, false} {
		name := "http"
		if https {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			post := httptest.NewRequest(http.MethodPost, "/tasks", strings.NewReader(url.Values{"title": {"write tests"}, "priority": {"2"}}.Encode()))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res := do(post, https)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST status %d", res.StatusCode)
			}
			set := flashCookie(t, res)
			if set.Secure != https {
				t.Errorf("flash cookie Secure=%v over %s, want %v", set.Secure, name, https)
			}

			get := httptest.NewRequest(http.MethodGet, "/done", nil)
			get.AddCookie(&http.Cookie{Name: set.Name, Value: set.Value})
			res = do(get, https)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET status %d", res.StatusCode)
			}
			del := flashCookie(t, res)
			if del.MaxAge >= 0 {
				t.Fatalf("the flash cookie was not deleted after reading: %q", res.Header.Values("Set-Cookie"))
			}
			if del.Secure != https {
				t.Errorf("flash delete cookie Secure=%v over %s, want %v", del.Secure, name, https)
			}
		})
	}
}
