package tmpl_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/tmpl"
)

// flashApp is an app whose POST /add queues a flash and whose GET /show
// answers the flashes it reads, one "kind:message" a line.
func flashApp(t *testing.T, opts ...tmpl.Option) *covet.App {
	t.Helper()
	app, _, _ := newApp(t, testFS(), opts...)
	app.POST("/add", func(c *covet.Context) error {
		tmpl.AddFlash(c, "success", "saved")
		return c.NoContent(http.StatusNoContent)
	})
	app.GET("/show", func(c *covet.Context) error {
		var b strings.Builder
		for _, f := range tmpl.Flashes(c) {
			b.WriteString(f.Kind + ":" + f.Message + "\n")
		}
		return c.Text(http.StatusOK, b.String())
	})
	return app
}

func cookieNamed(res *http.Response, name string) *http.Cookie {
	for _, ck := range res.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// addFlash returns the flash cookie app sets on POST /add.
func addFlash(t *testing.T, app *covet.App, name string) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/add", nil))
	ck := cookieNamed(rec.Result(), name)
	if ck == nil || ck.Value == "" {
		t.Fatalf("no %s cookie: %q", name, rec.Result().Header.Values("Set-Cookie"))
	}
	return ck
}

// show reads the flashes with the cookie and reports whether the
// response deleted it.
func show(t *testing.T, app *covet.App, ck *http.Cookie) (body string, deleted bool) {
	t.Helper()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/show", nil)
	r.AddCookie(ck)
	app.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /show: %d %s", rec.Code, rec.Body)
	}
	del := cookieNamed(rec.Result(), ck.Name)
	return rec.Body.String(), del != nil && del.MaxAge < 0
}

// TestFlashCookieSigned: the flash cookie carries an HMAC; a cookie
// planted by a sibling subdomain or a plain-HTTP attacker (a forged
// message, an unsigned one in the old format, one signed with another
// key or for another cookie name) is ignored and deleted.
func TestFlashCookieSigned(t *testing.T) {
	key := bytes.Repeat([]byte("k"), tmpl.MinFlashKey)
	app := flashApp(t, tmpl.WithFlashKey(key))
	good := addFlash(t, app, "flash")
	if body, deleted := show(t, app, good); body != "success:saved\n" || !deleted {
		t.Fatalf("signed flash: %q deleted=%v", body, deleted)
	}

	payload, sig, ok := strings.Cut(good.Value, ".")
	if !ok {
		t.Fatalf("flash cookie %q has no signature", good.Value)
	}
	forged := base64.RawURLEncoding.EncodeToString([]byte(`[{"k":"error","m":"Your session expired: sign in at evil.example"}]`))
	other := addFlash(t, flashApp(t, tmpl.WithFlashKey(bytes.Repeat([]byte("o"), tmpl.MinFlashKey))), "flash")
	renamed := addFlash(t, flashApp(t, tmpl.WithFlashKey(key), tmpl.WithFlashCookie("note")), "note")
	for name, v := range map[string]string{
		"forged message, old signature": forged + "." + sig,
		"unsigned (old format)":         forged,
		"unsigned good payload":         payload,
		"signature cut":                 payload + "." + sig[:len(sig)-2],
		"signature not base64":          payload + ".!!!",
		"empty signature":               payload + ".",
		"another key":                   other.Value,
		"signed for another cookie":     renamed.Value,
	} {
		t.Run(name, func(t *testing.T) {
			body, deleted := show(t, app, &http.Cookie{Name: "flash", Value: v})
			if body != "" {
				t.Errorf("flash shown from a bad cookie: %q", body)
			}
			if !deleted {
				t.Error("the bad flash cookie was not deleted")
			}
		})
	}
}

// TestFlashKeySharedAcrossInstances: behind a load balancer a flash set by
// one instance shows on another with the same WithFlashKey.
func TestFlashKeySharedAcrossInstances(t *testing.T) {
	key := bytes.Repeat([]byte("s"), tmpl.MinFlashKey)
	a := flashApp(t, tmpl.WithFlashKey(key))
	b := flashApp(t, tmpl.WithFlashKey(append([]byte(nil), key...)))
	if body, _ := show(t, b, addFlash(t, a, "flash")); body != "success:saved\n" {
		t.Fatalf("instance b shows %q for a's flash", body)
	}
}

// TestFlashKeyTooShort: a short key is an Install error, not a weak MAC.
func TestFlashKeyTooShort(t *testing.T) {
	for _, k := range [][]byte{{}, []byte("short")} {
		app := covet.New()
		if err := app.Install(tmpl.New(testFS(), tmpl.WithFlashKey(k))); err == nil || !strings.Contains(err.Error(), "WithFlashKey") {
			t.Errorf("key of %d bytes: %v", len(k), err)
		}
	}
}

// TestFlashWithoutKey: without WithFlashKey the engine signs flashes with
// a random key it makes at Install: they work on that instance only.
func TestFlashWithoutKey(t *testing.T) {
	app := flashApp(t)
	if body, _ := show(t, app, addFlash(t, app, "flash")); body != "success:saved\n" {
		t.Fatalf("flash %q", body)
	}
	if body, deleted := show(t, flashApp(t), addFlash(t, app, "flash")); body != "" || !deleted {
		t.Fatalf("another instance without a key shows %q (deleted=%v)", body, deleted)
	}
}
