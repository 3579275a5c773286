package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	covet "github.com/covetgo/covet/core"
)

// ErrSessionExpired is the cause of a 401 for a session past its idle or
// absolute timeout.
var ErrSessionExpired = errors.New("auth: session expired")

// SessionRecord is what a store keeps of a session.
type SessionRecord struct {
	UserID   string
	Roles    []string
	Values   map[string]string
	Created  time.Time
	LastSeen time.Time
}

// SessionStore keeps sessions by the SHA-256 hash of their ID (a leaked
// store does not hand out usable cookies). Implementations:
// NewMemorySessions, authredis.NewSessions, and authsql.Store.Sessions on
// the app's SQL database.
type SessionStore interface {
	// Load returns a session, or an error wrapping ErrNotFound.
	Load(ctx context.Context, key string) (SessionRecord, error)
	// Save stores a session for ttl (it is deleted after).
	Save(ctx context.Context, key string, rec SessionRecord, ttl time.Duration) error
	// Delete removes a session.
	Delete(ctx context.Context, key string) error
	// DeleteUser removes every session of a user (log out everywhere).
	DeleteUser(ctx context.Context, userID string) error
}

// SessionOption configures sessions.
type SessionOption func(*sessionConfig)

type sessionConfig struct {
	store    SessionStore
	secret   []byte
	previous [][]byte
	cookie   string
	idle     time.Duration
	absolute time.Duration
}

// WithSessions turns on server-side sessions in store, their IDs sent in a
// cookie signed with secret (at least 32 bytes). Log users in with
// Auth.StartSession; guard routes with Required(SchemeSession).
func WithSessions(store SessionStore, secret []byte, opts ...SessionOption) Option {
	return func(c *config) {
		sc := &sessionConfig{store: store, secret: secret, idle: 30 * time.Minute, absolute: 12 * time.Hour}
		for _, o := range opts {
			o(sc)
		}
		c.sessions = sc
	}
}

// WithSessionCookie sets the session cookie's name (default "__Host-session",
// or "session" with WithInsecureCookie).
func WithSessionCookie(name string) SessionOption { return func(c *sessionConfig) { c.cookie = name } }

// WithPreviousSessionSecrets lets session cookies signed with earlier
// secrets verify, so a deployment can rotate the WithSessions secret without
// logging everyone out: the WithSessions secret signs, these only verify,
// and a cookie that verified with one of them is signed again with the
// current secret on that response. Drop them after the absolute timeout.
func WithPreviousSessionSecrets(secrets ...[]byte) SessionOption {
	return func(c *sessionConfig) { c.previous = append(c.previous, secrets...) }
}

// WithIdleTimeout ends sessions unused for d (default 30 minutes).
func WithIdleTimeout(d time.Duration) SessionOption { return func(c *sessionConfig) { c.idle = d } }

// WithAbsoluteTimeout ends sessions d after login, used or not (default 12 hours).
func WithAbsoluteTimeout(d time.Duration) SessionOption {
	return func(c *sessionConfig) { c.absolute = d }
}

type sessions struct {
	a     *Auth
	cfg   sessionConfig
	store SessionStore
}

func newSessions(a *Auth, cfg *sessionConfig) (*sessions, error) {
	if cfg.store == nil {
		return nil, errors.New("auth: WithSessions: nil store")
	}
	if len(cfg.secret) < MinHMACSecret {
		return nil, fmt.Errorf("auth: WithSessions: secret of %d bytes; at least %d are required", len(cfg.secret), MinHMACSecret)
	}
	for i, p := range cfg.previous {
		if len(p) < MinHMACSecret {
			return nil, fmt.Errorf("auth: WithPreviousSessionSecrets: secret %d of %d bytes; at least %d are required", i, len(p), MinHMACSecret)
		}
	}
	if cfg.idle <= 0 || cfg.absolute <= 0 {
		return nil, errors.New("auth: WithSessions: timeouts must be positive")
	}
	if cfg.cookie == "" {
		cfg.cookie = "__Host-session"
		if !a.cfg.cookieSecure {
			cfg.cookie = "session"
		}
	}
	return &sessions{a: a, cfg: *cfg, store: cfg.store}, nil
}

// Session is the current request's server-side session.
type Session struct {
	key   string
	rec   SessionRecord
	dirty bool
	mu    sync.Mutex
}

// UserID returns the session's user.
func (s *Session) UserID() string { return s.rec.UserID }

// Created returns when the user logged in.
func (s *Session) Created() time.Time { return s.rec.Created }

// Get returns a session value.
func (s *Session) Get(k string) string { s.mu.Lock(); defer s.mu.Unlock(); return s.rec.Values[k] }

// Set sets a session value; it is saved when the handler returns.
func (s *Session) Set(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rec.Values == nil {
		s.rec.Values = map[string]string{}
	}
	s.rec.Values[k] = v
	s.dirty = true
}

// Delete removes a session value.
func (s *Session) Delete(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rec.Values, k)
	s.dirty = true
}

var sessionKey = covet.NewKey[*Session]("auth.session")

// SessionOf returns the request's session, set by a guard accepting
// SchemeSession or by StartSession.
func SessionOf(c *covet.Context) (*Session, bool) {
	s, ok := sessionKey.Get(c)
	return s, ok && s != nil
}

// SessionBinding returns an opaque value naming the browser's session (a
// hash of the store key, never the ID), or "" without a valid session
// cookie; after StartSession or EndSession it names the session the browser
// has from then on. It reads the signed cookie and does not ask the store.
// Pass it to tmpl.WithFlashBinding so a flash signed for one session is
// ignored in another:
//
//	tmpl.New(views, tmpl.WithFlashKey(key), tmpl.WithFlashBinding(auth.SessionBinding))
func SessionBinding(c *covet.Context) string {
	key := ""
	if s, ok := sessionKey.Get(c); ok {
		if s == nil {
			return ""
		}
		key = s.key
	} else {
		a := authOf(c)
		if a == nil || a.sessions == nil {
			return ""
		}
		v, ok := a.sessions.cookieValue(c)
		if !ok {
			return ""
		}
		id, ok, _ := a.sessions.unsign(v)
		if !ok {
			return ""
		}
		key = hashToken(id)
	}
	sum := sha256.Sum256([]byte("auth.session-binding|" + key))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// sign returns id.mac: the cookie value, signed with the current secret.
func (s *sessions) sign(id string) string { return signSession(s.cfg.secret, id) }

func signSession(secret []byte, id string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("session|" + id))
	return id + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// unsign checks a cookie value and returns the session ID; current is
// false when a previous secret (WithPreviousSessionSecrets) signed it.
func (s *sessions) unsign(v string) (id string, ok, current bool) {
	id, _, ok = strings.Cut(v, ".")
	if !ok || len(v) > 200 {
		return "", false, false
	}
	if hmac.Equal([]byte(s.sign(id)), []byte(v)) {
		return id, true, true
	}
	for _, p := range s.cfg.previous {
		if hmac.Equal([]byte(signSession(p, id)), []byte(v)) {
			return id, true, false
		}
	}
	return "", false, false
}

func (s *sessions) setCookie(c *covet.Context, id string) {
	c.SetHTTPCookie(&http.Cookie{Name: s.cfg.cookie, Value: s.sign(id), Path: "/", HttpOnly: true, Secure: s.a.cfg.cookieSecure, SameSite: s.a.cfg.cookieSameSite}) // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
}

func (s *sessions) cookieValue(c *covet.Context) (string, bool) {
	ck, err := c.Request().Cookie(s.cfg.cookie)
	if err != nil || ck.Value == "" {
		return "", false
	}
	return ck.Value, true
}

// authenticate loads the session of the request's cookie. present is false
// without a session cookie.
func (s *sessions) authenticate(c *covet.Context) (u *User, present bool, err error) {
	v, ok := s.cookieValue(c)
	if !ok {
		return nil, false, nil
	}
	if u, ok := checkedFor(c, SchemeSession, v); ok {
		if s, live := sessionKey.Get(c); live && s != nil {
			return u, true, nil
		}
	}
	id, ok, current := s.unsign(v)
	if !ok {
		return nil, true, staleSession{fmt.Errorf("%w: session cookie signature", ErrBadCredentials)}
	}
	key := hashToken(id)
	rec, err := s.store.Load(c.Context(), key)
	if errors.Is(err, ErrNotFound) {
		return nil, true, staleSession{fmt.Errorf("%w: unknown session", ErrBadCredentials)}
	}
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	now := s.a.now()
	if now.Sub(rec.LastSeen) > s.cfg.idle || now.Sub(rec.Created) > s.cfg.absolute {
		_ = s.store.Delete(c.Context(), key)
		return nil, true, staleSession{ErrSessionExpired}
	}
	if !current {
		s.setCookie(c, id) // signed again with the current secret
	}
	sess := &Session{key: key, rec: rec}
	sessionKey.Set(c, sess)
	u = (&User{ID: rec.UserID, Roles: rec.Roles, Method: MethodSession, IssuedAt: rec.Created, ExpiresAt: rec.Created.Add(s.cfg.absolute)}).withLists()
	checkedKey.Set(c, checked{scheme: SchemeSession, cred: v, u: u})
	return u, true, nil
}

// serve runs the handler and saves the session after it when it changed,
// or when its last use is stale by more than a tenth of the idle timeout
// (so a busy session is not written on every request).
func (s *sessions) serve(c *covet.Context, next covet.HandlerFunc) error {
	err := next(c)
	sess, ok := SessionOf(c)
	if !ok || sess.key == "" {
		return err
	}
	now := s.a.now()
	sess.mu.Lock()
	save := sess.dirty || now.Sub(sess.rec.LastSeen) > s.cfg.idle/10
	rec := sess.rec
	rec.Values = maps.Clone(sess.rec.Values)
	sess.mu.Unlock()
	if save {
		rec.LastSeen = now
		if serr := s.store.Save(c.Context(), sess.key, rec, s.ttl(rec, now)); serr != nil {
			c.Logger().WarnContext(c.Context(), "auth: session not saved", "error", serr.Error())
		} else {
			sess.mu.Lock()
			sess.rec.LastSeen, sess.dirty = now, false
			sess.mu.Unlock()
		}
	}
	return err
}

// SaveSession stores the request's session now. Guards save it when the
// handler returns; call this on routes without a guard, such as the login
// route after StartSession and Session.Set.
//
// Workaround until core has c.OnDone: with it, StartSession registers the
// save itself.
func (a *Auth) SaveSession(c *covet.Context) error {
	sess, ok := SessionOf(c)
	if !ok || a.sessions == nil {
		return errors.New("auth: SaveSession: no session on the request")
	}
	now := a.now()
	sess.mu.Lock()
	rec := sess.rec
	rec.Values = maps.Clone(sess.rec.Values)
	rec.LastSeen = now
	sess.dirty = false
	sess.mu.Unlock()
	return a.sessions.store.Save(c.Context(), sess.key, rec, a.sessions.ttl(rec, now))
}

func (s *sessions) ttl(rec SessionRecord, now time.Time) time.Duration {
	return max(min(s.cfg.idle, rec.Created.Add(s.cfg.absolute).Sub(now)), time.Second)
}

// StartSession logs a user in with a new session: the request's previous
// session (if any) is deleted and a new ID is issued (no session fixation:
// an ID planted before login is worthless after it), and the CSRF token
// cookie is replaced (RotateCSRF). Call it after
// checking the user's credentials, then redirect.
func (a *Auth) StartSession(c *covet.Context, userID string, roles ...string) (*Session, error) {
	s := a.sessions
	if s == nil {
		return nil, errors.New("auth: StartSession: sessions are not configured (WithSessions)")
	}
	if v, ok := s.cookieValue(c); ok {
		if id, ok, _ := s.unsign(v); ok {
			_ = s.store.Delete(c.Context(), hashToken(id))
		}
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	now := a.now()
	rec := SessionRecord{UserID: userID, Roles: roles, Created: now, LastSeen: now}
	sess := &Session{key: hashToken(id), rec: rec}
	if err := s.store.Save(c.Context(), sess.key, rec, s.ttl(rec, now)); err != nil {
		return nil, fmt.Errorf("auth: save session: %w", err)
	}
	s.setCookie(c, id)
	a.RotateCSRF(c)
	sessionKey.Set(c, sess)
	checkedKey.Delete(c)
	userKey.Set(c, (&User{ID: userID, Roles: roles, Method: MethodSession, IssuedAt: now, ExpiresAt: now.Add(s.cfg.absolute)}).withLists())
	a.stats.sessionsStarted.Add(1)
	return sess, nil
}

// staleSession marks a session cookie that names no live session (expired,
// unknown to the store, or signed with a secret no longer accepted): a
// browser holding one is anonymous where authentication is optional.
type staleSession struct{ error }

func (e staleSession) Unwrap() error { return e.error }

// clearCookie tells the browser to drop the session cookie.
func (s *sessions) clearCookie(c *covet.Context) {
	c.SetHTTPCookie(&http.Cookie{Name: s.cfg.cookie, Value: "", Path: "/", HttpOnly: true, Secure: s.a.cfg.cookieSecure, SameSite: s.a.cfg.cookieSameSite, MaxAge: -1}) // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
}

// EndSession logs the request's session out: it is deleted from the store,
// its cookie cleared and the CSRF token cookie replaced (RotateCSRF).
func (a *Auth) EndSession(c *covet.Context) error {
	s := a.sessions
	if s == nil {
		return errors.New("auth: EndSession: sessions are not configured (WithSessions)")
	}
	var err error
	if v, ok := s.cookieValue(c); ok {
		if id, ok, _ := s.unsign(v); ok {
			err = s.store.Delete(c.Context(), hashToken(id))
		}
	}
	a.RotateCSRF(c)
	s.clearCookie(c)
	// Nil, not deleted: the request has no session any more, whatever its
	// cookie said (SessionBinding).
	sessionKey.Set(c, nil)
	userKey.Delete(c)
	checkedKey.Delete(c)
	return err
}

// MemorySessions is a SessionStore in the process.
type MemorySessions struct {
	mu     sync.Mutex
	m      map[string]memSession
	byUser map[string]map[string]bool
	now    func() time.Time
	writes int
}

type memSession struct {
	rec     SessionRecord
	expires time.Time
}

// NewMemorySessions returns an in-memory session store.
func NewMemorySessions() *MemorySessions {
	return &MemorySessions{m: map[string]memSession{}, byUser: map[string]map[string]bool{}, now: time.Now}
}

// Load implements SessionStore.
func (m *MemorySessions) Load(_ context.Context, key string) (SessionRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.m[key]
	if !ok || m.now().After(s.expires) {
		return SessionRecord{}, ErrNotFound
	}
	s.rec.Values = maps.Clone(s.rec.Values)
	return s.rec, nil
}

// Save implements SessionStore.
func (m *MemorySessions) Save(_ context.Context, key string, rec SessionRecord, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec.Values = maps.Clone(rec.Values)
	m.m[key] = memSession{rec: rec, expires: m.now().Add(ttl)}
	if m.byUser[rec.UserID] == nil {
		m.byUser[rec.UserID] = map[string]bool{}
	}
	m.byUser[rec.UserID][key] = true
	m.writes++
	if m.writes%256 == 0 {
		now := m.now()
		for k, s := range m.m {
			if now.After(s.expires) {
				delete(m.m, k)
				delete(m.byUser[s.rec.UserID], k)
			}
		}
	}
	return nil
}

// Delete implements SessionStore.
func (m *MemorySessions) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.m[key]; ok {
		delete(m.byUser[s.rec.UserID], key)
	}
	delete(m.m, key)
	return nil
}

// DeleteUser implements SessionStore.
func (m *MemorySessions) DeleteUser(_ context.Context, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.byUser[userID] {
		delete(m.m, k)
	}
	delete(m.byUser, userID)
	return nil
}

var _ SessionStore = (*MemorySessions)(nil)
