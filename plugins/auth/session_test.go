package auth_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
)

var sessionSecret = []byte("session-secret-session-secret-32")

// sessionApp has POST /login (StartSession for the form's user), POST
// /logout, GET /home (Required(SchemeSession)) and POST /note.
func sessionApp(t *testing.T, store auth.SessionStore, clock *atomic.Int64, opts ...auth.SessionOption) (*auth.Auth, *covettest.Client) {
	t.Helper()
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)), auth.WithInsecureCookie(), auth.WithClock(now),
		auth.WithSessions(store, sessionSecret, opts...))
	app := covet.New(covet.WithLogger(quietLogger()))
	app.POST("/login", func(c *covet.Context) error {
		s, err := a.StartSession(c, c.Request().FormValue("user"))
		if err != nil {
			return err
		}
		s.Set("note", "welcome")
		if err := a.SaveSession(c); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/home")
	}).Use(auth.CSRF())
	app.POST("/logout", func(c *covet.Context) error { return a.EndSession(c) }).With(auth.Required(auth.SchemeSession))
	app.GET("/home", func(c *covet.Context) error {
		s, _ := auth.SessionOf(c)
		return c.Text(200, auth.UserID(c)+" "+s.Get("note"))
	}).With(auth.Required(auth.SchemeSession))
	app.GET("/welcome", func(c *covet.Context) error {
		if id := auth.UserID(c); id != "" {
			return c.Text(200, "hello "+id)
		}
		return c.Text(200, "anonymous")
	}).With(auth.Optional(auth.SchemeSession))
	app.POST("/note", func(c *covet.Context) error {
		s, _ := auth.SessionOf(c)
		s.Set("note", c.Request().FormValue("note"))
		return c.NoContent(204)
	}).With(auth.Required(auth.SchemeSession))
	if err := app.Install(a); err != nil {
		t.Fatal(err)
	}
	return a, covettest.NewServer(t, app)
}

func sessionCookie(c *covettest.Client) string {
	for _, ck := range c.Cookies("/") {
		if ck.Name == "session" {
			return ck.Value
		}
	}
	return ""
}

func sessionStoreContract(t *testing.T, store auth.SessionStore) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	a, c := sessionApp(t, store, &clock, auth.WithIdleTimeout(10*time.Minute), auth.WithAbsoluteTimeout(time.Hour))
	form := func(k, v string) map[string][]string { return map[string][]string{k: {v}} }

	c.Get("/home").Do().ExpectStatus(401)
	c.Post("/login").Form(form("user", "alice")).Do().ExpectStatus(303)
	c.Get("/home").Do().ExpectStatus(200).ExpectBody("alice welcome")
	c.Post("/note").Form(form("note", "hi")).Do().ExpectStatus(204)
	c.Get("/home").Do().ExpectStatus(200).ExpectBody("alice hi")

	t.Run("cross-site post refused", func(t *testing.T) {
		c.Post("/note").Form(form("note", "evil")).Header("Sec-Fetch-Site", "cross-site").Do().ExpectStatus(403)
		c.Get("/home").Do().ExpectBody("alice hi")
	})
	t.Run("forged cookie", func(t *testing.T) {
		other := covettest.NewRemote(t, c.URL())
		v := sessionCookie(c)
		other.SetCookie(&http.Cookie{Name: "session", Value: v[:len(v)-3] + "abc"})
		other.Get("/home").Do().ExpectStatus(401)
	})
	t.Run("idle timeout", func(t *testing.T) {
		clock.Add(int64(9 * time.Minute))
		c.Get("/home").Do().ExpectStatus(200) // touches the session
		clock.Add(int64(9 * time.Minute))
		c.Get("/home").Do().ExpectStatus(200)
		clock.Add(int64(11 * time.Minute))
		c.Get("/home").Do().ExpectStatus(401)
	})
	t.Run("absolute timeout", func(t *testing.T) {
		c.Post("/login").Form(form("user", "alice")).Do().ExpectStatus(303)
		for i := 0; i < 6; i++ { // 54 minutes
			clock.Add(int64(9 * time.Minute))
			c.Get("/home").Do().ExpectStatus(200)
		}
		clock.Add(int64(9 * time.Minute)) // 63 minutes after login
		c.Get("/home").Do().ExpectStatus(401)
	})
	t.Run("logout", func(t *testing.T) {
		c.Post("/login").Form(form("user", "alice")).Do().ExpectStatus(303)
		old := sessionCookie(c)
		c.Post("/logout").Do().ExpectStatus(200)
		c.Get("/home").Do().ExpectStatus(401)
		replay := covettest.NewRemote(t, c.URL())
		replay.SetCookie(&http.Cookie{Name: "session", Value: old})
		replay.Get("/home").Do().ExpectStatus(401)
	})
	t.Run("log out everywhere", func(t *testing.T) {
		laptop := covettest.NewRemote(t, c.URL())
		phone := covettest.NewRemote(t, c.URL())
		laptop.Post("/login").Form(form("user", "carol")).Do().ExpectStatus(303)
		phone.Post("/login").Form(form("user", "carol")).Do().ExpectStatus(303)
		c.Post("/login").Form(form("user", "dave")).Do().ExpectStatus(303)
		if err := a.RevokeAll(context.Background(), "carol"); err != nil {
			t.Fatal(err)
		}
		laptop.Get("/home").Do().ExpectStatus(401)
		phone.Get("/home").Do().ExpectStatus(401)
		c.Get("/home").Do().ExpectStatus(200).ExpectBody("dave welcome")
	})
}

func TestSessions(t *testing.T) { sessionStoreContract(t, auth.NewMemorySessions()) }

// TestAttackSessionFixation: an attacker who planted a session ID in the
// victim's browser (their own, valid one) does not share the victim's
// session after the victim logs in: login issues a new ID and deletes the
// old session.
func TestAttackSessionFixation(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	_, attacker := sessionApp(t, auth.NewMemorySessions(), &clock)
	attacker.Post("/login").Form(map[string][]string{"user": {"mallory"}}).Do().ExpectStatus(303)
	planted := sessionCookie(attacker)
	victim := covettest.NewRemote(t, attacker.URL())
	victim.SetCookie(&http.Cookie{Name: "session", Value: planted})
	victim.Post("/login").Form(map[string][]string{"user": {"victim"}}).Do().ExpectStatus(303)
	if got := sessionCookie(victim); got == planted || got == "" {
		t.Fatalf("session ID not rotated at login")
	}
	victim.Get("/home").Do().ExpectStatus(200).ExpectBody("victim welcome")
	// The planted ID is dead: neither the victim's nor the attacker's.
	attacker.Get("/home").Do().ExpectStatus(401)
}

// TestOptionalStaleSessionIsAnonymous: where signing in is optional (a
// login page), a browser whose session expired or is unknown to the store
// is served as anonymous and its cookie cleared, instead of a 401 that
// keeps it from the page that would sign it in again; where a session is
// required the answer stays 401.
func TestOptionalStaleSessionIsAnonymous(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	_, c := sessionApp(t, auth.NewMemorySessions(), &clock, auth.WithIdleTimeout(10*time.Minute))
	c.Post("/login").Form(map[string][]string{"user": {"ada"}}).Do().ExpectStatus(303)
	c.Get("/welcome").Do().ExpectStatus(200).ExpectBody("hello ada")
	stale := sessionCookie(c)

	clock.Add(int64(11 * time.Minute)) // past the idle timeout
	r := c.Get("/welcome").Do().ExpectStatus(200).ExpectBody("anonymous")
	if ck := r.Header.Get("Set-Cookie"); !strings.Contains(ck, "session=;") || !strings.Contains(ck, "Max-Age=0") {
		t.Fatalf("stale session cookie not cleared: %q", ck)
	}
	// Unknown to the store (another instance's memory, a flushed store).
	other := covettest.NewRemote(t, c.URL())
	other.SetCookie(&http.Cookie{Name: "session", Value: stale})
	other.Get("/welcome").Do().ExpectStatus(200).ExpectBody("anonymous")
	_, elsewhere := sessionApp(t, auth.NewMemorySessions(), &clock)
	elsewhere.SetCookie(&http.Cookie{Name: "session", Value: stale})
	elsewhere.Get("/welcome").Do().ExpectStatus(200).ExpectBody("anonymous")
	elsewhere.SetCookie(&http.Cookie{Name: "session", Value: stale})
	elsewhere.Get("/home").Do().ExpectStatus(401)
	// A forged cookie (bad signature) too.
	other.SetCookie(&http.Cookie{Name: "session", Value: "forged.value"})
	other.Get("/welcome").Do().ExpectStatus(200).ExpectBody("anonymous")
	other.SetCookie(&http.Cookie{Name: "session", Value: "forged.value"})
	other.Get("/home").Do().ExpectStatus(401)
}
