package tmpl

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

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

// MinFlashKey is the least length of a WithFlashKey key, in bytes.
const MinFlashKey = 32

func flashCookieName(c *covet.Context) string {
	if e := Of(c); e != nil {
		return e.cfg.flashCookie
	}
	return "flash"
}

// processFlashKey signs flashes of a request no engine serves: random, for
// this process only.
var processFlashKey = sync.OnceValue(func() []byte {
	k := make([]byte, MinFlashKey)
	_, _ = rand.Read(k)
	return k
})

func flashKeyOf(c *covet.Context) []byte {
	if e := Of(c); e != nil && e.cfg.flashKey != nil {
		return e.cfg.flashKey
	}
	return processFlashKey()
}

// flashMAC signs the cookie's payload, bound to the cookie's name.
func flashMAC(key []byte, name, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("tmpl.flash|" + name + "|" + payload))
	return m.Sum(nil)
}

// AddFlash queues a message for the next page rendered for this browser,
// in a cookie (HttpOnly, SameSite=Lax), usually before SeeOther. The
// cookie is signed (HMAC-SHA256 with the WithFlashKey key, or a random
// key the engine made at Install without one): a cookie planted by a sibling
// subdomain or over plain HTTP is ignored. It is not encrypted: the
// message must not carry anything the user may not read.
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
		name := flashCookieName(c)
		v += "." + base64.RawURLEncoding.EncodeToString(flashMAC(flashKeyOf(c), name, v))
		if len(v) <= maxFlashCookie || len(st.pending) == 1 {
			c.SetHTTPCookie(&http.Cookie{Name: name, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"}) // #nosec G124 -- HttpOnly, SameSite=Lax; Secure when the client used HTTPS (browsers drop a Secure cookie set over plain HTTP, so it cannot be constant)
			return
		}
		st.pending = st.pending[1:]
	}
}

// readFlashCookie returns the flashes of a cookie with a valid signature;
// others are ignored (Flashes deletes the cookie, AddFlash replaces it).
func readFlashCookie(c *covet.Context) []Flash {
	name := flashCookieName(c)
	v, ok := c.Cookie(name)
	if !ok || v == "" {
		return nil
	}
	payload, sig, ok := strings.Cut(v, ".")
	if !ok {
		return nil
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, flashMAC(flashKeyOf(c), name, payload)) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
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
