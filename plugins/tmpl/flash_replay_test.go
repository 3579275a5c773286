package tmpl_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/tmpl"
)

// TestFlashKeyRotation: WithFlashKeys(new, old) shows flashes signed with
// the old key (set before the deploy) and signs new ones with the new key;
// an app with the new key alone drops the old key's flashes.
func TestFlashKeyRotation(t *testing.T) {
	oldKey := bytes.Repeat([]byte("o"), tmpl.MinFlashKey)
	newKey := bytes.Repeat([]byte("n"), tmpl.MinFlashKey)
	before := flashApp(t, tmpl.WithFlashKey(oldKey))
	rotated := flashApp(t, tmpl.WithFlashKeys(newKey, oldKey))
	newOnly := flashApp(t, tmpl.WithFlashKey(newKey))
	oldOnly := flashApp(t, tmpl.WithFlashKey(oldKey))

	set := addFlash(t, before, "flash")
	if body, _ := show(t, rotated, set); body != "success:saved\n" {
		t.Fatalf("rotated app shows %q for the previous key's flash", body)
	}
	if body, deleted := show(t, newOnly, set); body != "" || !deleted {
		t.Fatalf("new key alone shows %q for the previous key's flash (deleted=%v)", body, deleted)
	}
	set = addFlash(t, rotated, "flash")
	if body, _ := show(t, newOnly, set); body != "success:saved\n" {
		t.Fatalf("rotated app's flash is not signed with the first key: new key shows %q", body)
	}
	if body, _ := show(t, oldOnly, set); body != "" {
		t.Fatalf("rotated app's flash verifies with the old key: %q", body)
	}

	for _, keys := range [][][]byte{{}, {newKey, []byte("short")}} {
		app := covet.New()
		if err := app.Install(tmpl.New(testFS(), tmpl.WithFlashKeys(keys...))); err == nil {
			t.Errorf("WithFlashKeys(%d keys, one short or none): no error", len(keys))
		}
	}
}

// TestAttackFlashReplayAfterExpiry: the expiry is inside the signed value;
// a flash cookie captured (or planted by a sibling subdomain) and replayed
// after WithFlashTTL is ignored and deleted, though its signature is good.
func TestAttackFlashReplayAfterExpiry(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	key := bytes.Repeat([]byte("k"), tmpl.MinFlashKey)
	app := flashApp(t, tmpl.WithFlashKey(key), tmpl.WithClock(now), tmpl.WithFlashTTL(time.Minute))

	captured := addFlash(t, app, "flash")
	clock.Add(int64(59 * time.Second))
	if body, _ := show(t, app, captured); body != "success:saved\n" {
		t.Fatalf("flash within its lifetime: %q", body)
	}
	clock.Add(int64(time.Second))
	if body, deleted := show(t, app, captured); body != "" || !deleted {
		t.Fatalf("flash replayed after its lifetime shows %q (deleted=%v)", body, deleted)
	}
	// The default lifetime is short too.
	def := flashApp(t, tmpl.WithFlashKey(key), tmpl.WithClock(now))
	captured = addFlash(t, def, "flash")
	clock.Add(int64(tmpl.DefaultFlashTTL))
	if body, _ := show(t, def, captured); body != "" {
		t.Fatalf("flash replayed after DefaultFlashTTL shows %q", body)
	}
}

// TestAttackFlashReplayIntoAnotherSession: with WithFlashBinding, a flash
// signed for one session (the attacker's own, then planted in the victim's
// browser) is ignored in another, and in a browser without a session.
func TestAttackFlashReplayIntoAnotherSession(t *testing.T) {
	key := bytes.Repeat([]byte("k"), tmpl.MinFlashKey)
	binding := func(c *covet.Context) string { v, _ := c.Cookie("sid"); return v }
	app := flashApp(t, tmpl.WithFlashKey(key), tmpl.WithFlashBinding(binding))
	add := func(sid string) *http.Cookie {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/add", nil)
		if sid != "" {
			r.AddCookie(&http.Cookie{Name: "sid", Value: sid})
		}
		app.ServeHTTP(rec, r)
		return cookieNamed(rec.Result(), "flash")
	}
	showIn := func(sid string, ck *http.Cookie) string {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/show", nil)
		if sid != "" {
			r.AddCookie(&http.Cookie{Name: "sid", Value: sid})
		}
		r.AddCookie(ck)
		app.ServeHTTP(rec, r)
		return rec.Body.String()
	}
	attackers := add("attacker-session")
	if got := showIn("attacker-session", attackers); got != "success:saved\n" {
		t.Fatalf("flash in its own session: %q", got)
	}
	if got := showIn("victim-session", attackers); got != "" {
		t.Fatalf("attacker's flash shown in the victim's session: %q", got)
	}
	if got := showIn("", attackers); got != "" {
		t.Fatalf("a session's flash shown without a session: %q", got)
	}
	if got := showIn("", add("")); got != "success:saved\n" {
		t.Fatalf("flash without a session: %q", got)
	}
}
