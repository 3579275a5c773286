package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	covet "github.com/covetgo/covet/core"
)

// Refresh token errors.
var (
	// ErrRefreshReused: a refresh token was presented a second time. Its
	// whole family (every token rotated from the same login) is revoked
	// (RFC 9700 §4.14.2): one of the two presenters is an attacker.
	ErrRefreshReused = errors.New("auth: refresh token reused; its family is revoked")
	// ErrRefreshRevoked: the token's family was revoked (reuse, logout,
	// log out everywhere).
	ErrRefreshRevoked = errors.New("auth: refresh token family revoked")
	// ErrRefreshInvalid: the token is unknown, malformed or expired.
	ErrRefreshInvalid = errors.New("auth: refresh token invalid")
)

// RefreshRecord is what a refresh token stands for. Every token rotated
// from one login shares its Family.
type RefreshRecord struct {
	Family  string
	Subject string
	Scopes  []string
	Roles   []string
	// Expires is the family's absolute end: rotation does not extend it.
	Expires time.Time
}

// RefreshStore keeps refresh tokens by the SHA-256 hash of the token (the
// token itself is never stored). Implementations: NewMemoryRefresh,
// authredis.NewRefresh, and authsql.Store.Refresh on the app's SQL
// database.
type RefreshStore interface {
	// Create stores a new, unused token of rec.Family until rec.Expires.
	Create(ctx context.Context, hash string, rec RefreshRecord) error
	// Consume marks the token used and returns its record, atomically: of
	// concurrent calls for one token, one succeeds. It returns
	// ErrRefreshReused (after revoking the family) for a token already
	// used, ErrRefreshRevoked for a token of a revoked family, and
	// ErrRefreshInvalid (or ErrNotFound) for an unknown or expired one.
	Consume(ctx context.Context, family, hash string) (RefreshRecord, error)
	// RevokeFamily revokes every token of a family.
	RevokeFamily(ctx context.Context, family string) error
	// RevokeSubject revokes every family of a subject (log out everywhere).
	RevokeSubject(ctx context.Context, subject string) error
}

// TokenPair is an access token and the refresh token that renews it, in
// the shape of an OAuth 2.0 token response (RFC 6749 §5.1).
type TokenPair struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func newRefreshToken(family string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return family + "." + base64.RawURLEncoding.EncodeToString(b[:])
}

// IssuePair starts a login: an access token and the first refresh token of
// a new family (when WithRefresh is configured).
func (a *Auth) IssuePair(ctx context.Context, subject string, opts ...TokenOption) (TokenPair, error) {
	if a.err != nil {
		return TokenPair{}, a.err
	}
	spec := tokenSpec{}
	for _, o := range opts {
		o(&spec)
	}
	rec := RefreshRecord{Family: newID(), Subject: subject, Scopes: spec.scopes, Roles: spec.roles, Expires: a.now().Add(a.cfg.refreshTTL)}
	return a.pair(ctx, rec, opts)
}

func (a *Auth) pair(ctx context.Context, rec RefreshRecord, opts []TokenOption) (TokenPair, error) {
	tok, u, err := a.sign(rec.Subject, opts)
	if err != nil {
		return TokenPair{}, err
	}
	p := TokenPair{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(u.ExpiresAt.Sub(u.IssuedAt.Truncate(time.Second)).Seconds()), Scope: strings.Join(u.Scopes, " ")}
	if a.cfg.refresh == nil {
		return p, nil
	}
	rt := newRefreshToken(rec.Family)
	if err := a.cfg.refresh.Create(ctx, hashToken(rt), rec); err != nil {
		return TokenPair{}, fmt.Errorf("auth: store refresh token: %w", err)
	}
	p.RefreshToken = rt
	return p, nil
}

// Refresh rotates a refresh token: the presented token is used up and a new
// pair is returned, with the family's scopes and roles. A token presented
// twice revokes its family (ErrRefreshReused), so a stolen token works at
// most until its owner or the thief uses it again.
func (a *Auth) Refresh(ctx context.Context, refreshToken string) (TokenPair, error) {
	if a.cfg.refresh == nil {
		return TokenPair{}, errors.New("auth: Refresh: no refresh store (WithRefresh)")
	}
	family, _, ok := strings.Cut(refreshToken, ".")
	if !ok || family == "" || len(refreshToken) > 256 {
		return TokenPair{}, ErrRefreshInvalid
	}
	rec, err := a.cfg.refresh.Consume(ctx, family, hashToken(refreshToken))
	switch {
	case errors.Is(err, ErrRefreshReused):
		a.stats.refreshReuse.Add(1)
		a.log.Load().WarnContext(ctx, "auth: refresh token reused; family revoked", "family", family)
		return TokenPair{}, err
	case errors.Is(err, ErrNotFound):
		return TokenPair{}, ErrRefreshInvalid
	case err != nil:
		return TokenPair{}, err
	}
	if rec.Family != family || !a.now().Before(rec.Expires) {
		return TokenPair{}, ErrRefreshInvalid
	}
	opts := []TokenOption{WithScopes(rec.Scopes...), WithRoles(rec.Roles...)}
	return a.pair(ctx, rec, opts)
}

// RevokeRefresh revokes the family of a refresh token (logout on one device).
func (a *Auth) RevokeRefresh(ctx context.Context, refreshToken string) error {
	if a.cfg.refresh == nil {
		return errors.New("auth: RevokeRefresh: no refresh store (WithRefresh)")
	}
	family, _, ok := strings.Cut(refreshToken, ".")
	if !ok || family == "" {
		return ErrRefreshInvalid
	}
	return a.cfg.refresh.RevokeFamily(ctx, family)
}

// RefreshHandler is a token endpoint for the refresh grant: POST with a
// form (grant_type=refresh_token, refresh_token=...) or JSON
// {"refresh_token": "..."}; it answers a TokenPair, or 400 invalid_grant
// (RFC 6749 §5.2) for a token that is unknown, expired, revoked or reused.
func (a *Auth) RefreshHandler() covet.HandlerFunc {
	return func(c *covet.Context) error {
		var tok string
		r := c.Request()
		r.Body = http.MaxBytesReader(c.Response(), r.Body, 16<<10)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var in struct {
				RefreshToken string `json:"refresh_token"`
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				return covet.NewError(http.StatusBadRequest, "the body is not a JSON object with refresh_token")
			}
			tok = in.RefreshToken
		} else {
			if err := r.ParseForm(); err != nil {
				return covet.NewError(http.StatusBadRequest, "the body is not a form")
			}
			if gt := r.PostForm.Get("grant_type"); gt != "" && gt != "refresh_token" {
				return oauthError(c, "unsupported_grant_type")
			}
			tok = r.PostForm.Get("refresh_token")
		}
		p, err := a.Refresh(c.Context(), tok)
		if err != nil {
			if errors.Is(err, ErrRefreshInvalid) || errors.Is(err, ErrRefreshReused) || errors.Is(err, ErrRefreshRevoked) {
				logRefusal(c, "auth: refresh refused", err)
				return oauthError(c, "invalid_grant")
			}
			return err
		}
		c.SetHeader("Cache-Control", "no-store")
		return c.JSON(http.StatusOK, p)
	}
}

func oauthError(c *covet.Context, code string) error {
	c.SetHeader("Cache-Control", "no-store")
	return c.JSON(http.StatusBadRequest, map[string]string{"error": code})
}

// MemoryRefresh is a RefreshStore in the process.
type MemoryRefresh struct {
	mu       sync.Mutex
	tokens   map[string]*memRefresh // hash -> token
	families map[string]*memFamily
	subjects map[string]map[string]bool
	now      func() time.Time
	writes   int
}

type memRefresh struct {
	family string
	used   bool
}

type memFamily struct {
	rec     RefreshRecord
	revoked bool
	hashes  []string
}

// NewMemoryRefresh returns an in-memory refresh token store.
func NewMemoryRefresh() *MemoryRefresh {
	return &MemoryRefresh{tokens: map[string]*memRefresh{}, families: map[string]*memFamily{}, subjects: map[string]map[string]bool{}, now: time.Now}
}

// Create implements RefreshStore.
func (m *MemoryRefresh) Create(_ context.Context, hash string, rec RefreshRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.families[rec.Family]
	if f == nil {
		f = &memFamily{rec: rec}
		m.families[rec.Family] = f
		if m.subjects[rec.Subject] == nil {
			m.subjects[rec.Subject] = map[string]bool{}
		}
		m.subjects[rec.Subject][rec.Family] = true
	}
	if f.revoked {
		return ErrRefreshRevoked
	}
	f.hashes = append(f.hashes, hash)
	m.tokens[hash] = &memRefresh{family: rec.Family}
	m.sweepLocked()
	return nil
}

// Consume implements RefreshStore.
func (m *MemoryRefresh) Consume(_ context.Context, family, hash string) (RefreshRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tokens[hash]
	if t == nil || t.family != family {
		return RefreshRecord{}, ErrRefreshInvalid
	}
	f := m.families[family]
	if f == nil || !m.now().Before(f.rec.Expires) {
		return RefreshRecord{}, ErrRefreshInvalid
	}
	if f.revoked {
		return RefreshRecord{}, ErrRefreshRevoked
	}
	if t.used {
		f.revoked = true
		return RefreshRecord{}, ErrRefreshReused
	}
	t.used = true
	return f.rec, nil
}

// RevokeFamily implements RefreshStore.
func (m *MemoryRefresh) RevokeFamily(_ context.Context, family string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.families[family]; f != nil {
		f.revoked = true
	}
	return nil
}

// RevokeSubject implements RefreshStore.
func (m *MemoryRefresh) RevokeSubject(_ context.Context, subject string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for fam := range m.subjects[subject] {
		if f := m.families[fam]; f != nil {
			f.revoked = true
		}
	}
	return nil
}

// sweepLocked drops expired families every 256 writes.
func (m *MemoryRefresh) sweepLocked() {
	m.writes++
	if m.writes%256 != 0 {
		return
	}
	now := m.now()
	for id, f := range m.families {
		if now.After(f.rec.Expires) {
			for _, h := range f.hashes {
				delete(m.tokens, h)
			}
			delete(m.families, id)
			if s := m.subjects[f.rec.Subject]; s != nil {
				delete(s, id)
				if len(s) == 0 {
					delete(m.subjects, f.rec.Subject)
				}
			}
		}
	}
}

var _ RefreshStore = (*MemoryRefresh)(nil)
