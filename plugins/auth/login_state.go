package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// OnceStore records one-time values so that each is accepted once by every
// instance sharing the store. Logins record the state of each callback in
// it, so a callback replayed on another instance behind a load balancer is
// refused there too.
//
// authredis's stores implement it (SET NX with the value's expiry); an
// in-process record is used when no configured store does, which refuses
// replays on the instance that served the callback only.
type OnceStore interface {
	// UseOnce records key until expires and reports whether it was not
	// recorded yet: of concurrent calls for one key, on any instance, one
	// gets true. An error means the store could not answer (the login is
	// refused with 503).
	UseOnce(ctx context.Context, key string, expires time.Time) (bool, error)
}

// WithLoginStore sets where the states of completed logins are recorded
// for one-time use across instances. Without it the first of the session
// store (WithSessions), the revocation store (WithRevocation) and the
// refresh store (WithRefresh) that implements OnceStore is used, else an
// in-process record.
func WithLoginStore(s OnceStore) LoginOption { return func(c *loginConfig) { c.once = s } }

// loginCookieVersion prefixes the key derivation of login cookies; a
// change of format changes it.
const loginCookieVersion = "covet/auth login cookie v2|"

// loginAEAD derives the AES-256-GCM key of a provider's login cookies from
// a login secret: HMAC-SHA-256(secret, version|provider).
func loginAEAD(secret []byte, provider string) (cipher.AEAD, error) {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(loginCookieVersion + provider))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// initCrypto derives the cookie keys: the current secret's first, then
// the previous ones (open only).
func (l *Login) initCrypto() error {
	l.aeads = l.aeads[:0]
	for _, s := range append([][]byte{l.cfg.secret}, l.cfg.previous...) {
		g, err := loginAEAD(s, l.p.Name)
		if err != nil {
			return err
		}
		l.aeads = append(l.aeads, g)
	}
	return nil
}

// aad binds a sealed flow to its provider and cookie: a cookie of another
// provider or app sharing the secret does not open here.
func (l *Login) aad() []byte { return []byte("login|" + l.p.Name + "|" + l.cookieName()) }

// seal encrypts and authenticates the flow: base64url(nonce ‖ AES-GCM
// ciphertext). The verifier and nonce are unreadable to whoever sees the
// cookie; any change to it fails to open.
func (l *Login) seal(f flow) (string, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	g := l.aeads[0]
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(b)+g.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(g.Seal(nonce, nonce, b, l.aad())), nil
}

// open decrypts a login cookie under the current or a previous secret and
// checks its expiry.
func (l *Login) open(v string) (flow, error) {
	if len(v) > 4096 {
		return flow{}, errors.New("login cookie too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return flow{}, errors.New("login cookie encoding")
	}
	var plain []byte
	for _, g := range l.aeads {
		if len(b) < g.NonceSize()+g.Overhead() {
			break
		}
		if plain, err = g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], l.aad()); err == nil {
			break
		}
	}
	if plain == nil {
		return flow{}, errors.New("login cookie does not open (altered, or sealed with an unknown secret)")
	}
	var f flow
	if err := json.Unmarshal(plain, &f); err != nil {
		return flow{}, err
	}
	if l.a.now().Unix() > f.Expires {
		return flow{}, errors.New("login cookie expired")
	}
	return f, nil
}

// onceKey is the store key of a login's state: the provider and a hash of
// the state (the state itself never reaches the store).
func (l *Login) onceKey(state string) string {
	h := sha256.Sum256([]byte(state))
	return "login:" + l.p.Name + ":" + hex.EncodeToString(h[:16])
}

// pickOnceStore chooses where states are recorded (see WithLoginStore).
func (l *Login) pickOnceStore() OnceStore {
	if l.cfg.once != nil {
		return l.cfg.once
	}
	var candidates []any
	if l.a.sessions != nil {
		candidates = append(candidates, l.a.sessions.store)
	}
	candidates = append(candidates, l.a.cfg.revocation, l.a.cfg.refresh)
	for _, c := range candidates {
		if s, ok := c.(OnceStore); ok && s != nil {
			return s
		}
	}
	return newMemoryOnce(l.a.now)
}

// memoryOnce is the in-process OnceStore: one instance's record.
type memoryOnce struct {
	now  func() time.Time
	mu   sync.Mutex
	used map[string]time.Time
}

func newMemoryOnce(now func() time.Time) *memoryOnce {
	return &memoryOnce{now: now, used: map[string]time.Time{}}
}

// UseOnce implements OnceStore.
func (m *memoryOnce) UseOnce(_ context.Context, key string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.used) > 4096 {
		for k, t := range m.used {
			if now.After(t) {
				delete(m.used, k)
			}
		}
	}
	if t, seen := m.used[key]; seen && !now.After(t) {
		return false, nil
	}
	m.used[key] = expires
	return true, nil
}

var _ OnceStore = (*memoryOnce)(nil)
