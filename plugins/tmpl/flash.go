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
	"time"

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

// flashSigner is what signs and checks a request's flash cookie.
type flashSigner struct {
	name    string
	keys    [][]byte // keys[0] signs
	binding string
	now     time.Time
	ttl     time.Duration
}

func flashSignerOf(c *covet.Context) flashSigner {
	if e := Of(c); e != nil && e.cfg.flashKeys != nil {
		f := flashSigner{name: e.cfg.flashCookie, keys: e.cfg.flashKeys, now: e.cfg.now(), ttl: e.cfg.flashTTL}
		if e.cfg.flashBinding != nil {
			f.binding = e.cfg.flashBinding(c)
		}
		return f
	}
	return flashSigner{name: flashCookieName(c), keys: [][]byte{processFlashKey()}, now: time.Now(), ttl: DefaultFlashTTL}
}

// mac signs the cookie's payload (which carries the expiry), bound to the
// cookie's name and to the session binding (WithFlashBinding).
func (f *flashSigner) mac(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("tmpl.flash.v2|" + f.name + "|" + f.binding + "|" + payload))
	return m.Sum(nil)
}

// flashPayload is the signed content of the cookie.
type flashPayload struct {
	// Expires is when the flashes stop being shown, in Unix seconds.
	Expires int64   `json:"e"`
	Flashes []Flash `json:"f"`
}

func (f *flashSigner) seal(fs []Flash) string {
	b, _ := json.Marshal(flashPayload{Expires: f.now.Add(f.ttl).Unix(), Flashes: fs})
	v := base64.RawURLEncoding.EncodeToString(b)
	return v + "." + base64.RawURLEncoding.EncodeToString(f.mac(f.keys[0], v))
}

// open returns the flashes of a cookie value signed with one of the keys,
// for this cookie name and binding, and not expired; nil otherwise.
func (f *flashSigner) open(v string) []Flash {
	payload, sig, ok := strings.Cut(v, ".")
	if !ok {
		return nil
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return nil
	}
	signed := false
	for _, k := range f.keys {
		if hmac.Equal(mac, f.mac(k, payload)) {
			signed = true
			break
		}
	}
	if !signed {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil
	}
	var p flashPayload
	if json.Unmarshal(b, &p) != nil || f.now.Unix() >= p.Expires {
		return nil
	}
	return p.Flashes
}

// AddFlash queues a message for the next page rendered for this browser,
// in a cookie (HttpOnly, SameSite=Lax), usually before SeeOther. The
// cookie is signed (HMAC-SHA256 with the WithFlashKey key, or a random
// key the engine made at Install without one): a cookie planted by a sibling
// subdomain or over plain HTTP is ignored. The signed value carries an
// expiry (WithFlashTTL, default 5 minutes) and, with WithFlashBinding, is
// bound to the browser's session, so a captured cookie cannot be replayed
// later or into another session. It is not encrypted: the message must not
// carry anything the user may not read.
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
	f := flashSignerOf(c)
	for {
		v := f.seal(st.pending)
		if len(v) <= maxFlashCookie || len(st.pending) == 1 {
			c.SetHTTPCookie(&http.Cookie{Name: f.name, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"}) // #nosec G124 -- HttpOnly, SameSite=Lax; Secure when the client used HTTPS (browsers drop a Secure cookie set over plain HTTP, so it cannot be constant)
			return
		}
		st.pending = st.pending[1:]
	}
}

// readFlashCookie returns the flashes of a cookie with a valid signature,
// not expired and of this session; others are ignored (Flashes deletes the
// cookie, AddFlash replaces it).
func readFlashCookie(c *covet.Context) []Flash {
	v, ok := c.Cookie(flashCookieName(c))
	if !ok || v == "" {
		return nil
	}
	f := flashSignerOf(c)
	return f.open(v)
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
