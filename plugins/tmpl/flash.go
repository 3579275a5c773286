package tmpl

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// Flash is a message for the next page a user sees ("Task created").
type Flash struct {
	// Kind is a class for styling: "success", "error", "info".
	Kind string `json:"k"`
	// Message is the text, escaped when rendered.
	Message string `json:"m"`
}

var flashKey = covet.NewKey[*flashState]("tmpl.flash")

type flashState struct {
	read    bool
	pending []Flash
}

// maxFlashCookie bounds the cookie: older messages are dropped beyond it.
const maxFlashCookie = 3000

func flashCookieName(c *covet.Context) string {
	if e := Of(c); e != nil {
		return e.cfg.flashCookie
	}
	return "flash"
}

// AddFlash queues a message for the next page rendered for this browser,
// in a cookie (HttpOnly, SameSite=Lax), usually before SeeOther. The
// message is shown escaped; it is not signed, so it must not carry
// anything a user may not see or forge for themselves.
func AddFlash(c *covet.Context, kind, message string) {
	st, _ := flashKey.Get(c)
	if st == nil {
		st = &flashState{}
		flashKey.Set(c, st)
		if !st.read {
			st.pending = append(st.pending, readFlashCookie(c)...)
		}
	}
	st.pending = append(st.pending, Flash{Kind: kind, Message: message})
	for {
		b, _ := json.Marshal(st.pending)
		v := base64.RawURLEncoding.EncodeToString(b)
		if len(v) <= maxFlashCookie || len(st.pending) == 1 {
			c.SetHTTPCookie(&http.Cookie{Name: flashCookieName(c), Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"}) // #nosec G124 -- HttpOnly, SameSite=Lax; Secure when the client used HTTPS (browsers drop a Secure cookie set over plain HTTP, so it cannot be constant)
			return
		}
		st.pending = st.pending[1:]
	}
}

func readFlashCookie(c *covet.Context) []Flash {
	v, ok := c.Cookie(flashCookieName(c))
	if !ok || v == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	var fs []Flash
	if json.Unmarshal(b, &fs) != nil {
		return nil
	}
	return fs
}

// Flashes returns the flash messages waiting for this browser and clears
// them (the cookie is deleted). The flashes template function calls it.
func Flashes(c *covet.Context) []Flash {
	st, _ := flashKey.Get(c)
	if st == nil {
		st = &flashState{}
		flashKey.Set(c, st)
	}
	if st.read {
		return nil
	}
	st.read = true
	fs := st.pending
	if fs == nil {
		fs = readFlashCookie(c)
	}
	st.pending = nil
	if _, ok := c.Cookie(flashCookieName(c)); ok || fs != nil {
		c.SetHTTPCookie(&http.Cookie{Name: flashCookieName(c), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"}) // #nosec G124 -- HttpOnly, SameSite=Lax; Secure when the client used HTTPS (browsers drop a Secure cookie set over plain HTTP, so it cannot be constant)
	}
	return fs
}
