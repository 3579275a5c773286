package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	covet "github.com/covetgo/covet/core"
)

// ErrNotFound is returned by stores for a record they do not hold.
var ErrNotFound = errors.New("auth: not found")

// ErrStoreUnavailable is wrapped by stores that cannot answer (a backend
// down or too slow); requests that need them get 503.
var ErrStoreUnavailable = errors.New("auth: store unavailable")

// ErrBadCredentials is returned for a wrong API key, password or Basic
// credentials.
var ErrBadCredentials = errors.New("auth: bad credentials")

// APIKey is a stored API key: its public ID, the SHA-256 hash of its
// secret (never the secret), and what it grants. API keys are 256-bit
// random secrets, so a fast hash is the right one (a password hash would
// only slow every request); the ID finds the record and the hash is
// compared in constant time.
type APIKey struct {
	ID      string
	Owner   string
	Scopes  []string
	Roles   []string
	Hash    [32]byte
	Expires time.Time // zero: never
}

// APIKeyStore finds API keys by ID. Implement it on the app's database.
type APIKeyStore interface {
	// LookupAPIKey returns the key with this ID, or an error wrapping ErrNotFound.
	LookupAPIKey(ctx context.Context, id string) (*APIKey, error)
}

// NewAPIKey generates an API key for owner: the secret to hand to the
// client once (prefix.id.secret) and the record to store.
func NewAPIKey(prefix, owner string, scopes ...string) (secret string, rec APIKey, err error) {
	if strings.Contains(prefix, ".") || prefix == "" {
		return "", APIKey{}, fmt.Errorf("auth: API key prefix %q: must be non-empty, without dots", prefix)
	}
	var id [8]byte
	var sec [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", APIKey{}, err
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return "", APIKey{}, err
	}
	s := base64.RawURLEncoding.EncodeToString(sec[:])
	rec = APIKey{ID: hex.EncodeToString(id[:]), Owner: owner, Scopes: scopes, Hash: sha256.Sum256([]byte(s))}
	return prefix + "." + rec.ID + "." + s, rec, nil
}

func (a *Auth) checkAPIKey(ctx context.Context, presented string) (*User, error) {
	parts := strings.Split(presented, ".")
	if len(parts) != 3 || len(parts[1]) != 16 || len(parts[2]) > 64 {
		return nil, fmt.Errorf("%w: malformed API key", ErrBadCredentials)
	}
	rec, err := a.cfg.apiKeys.LookupAPIKey(ctx, parts[1])
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: unknown API key id %q", ErrBadCredentials, parts[1])
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	h := sha256.Sum256([]byte(parts[2]))
	if subtle.ConstantTimeCompare(h[:], rec.Hash[:]) != 1 {
		return nil, fmt.Errorf("%w: API key %q: wrong secret", ErrBadCredentials, rec.ID)
	}
	if !rec.Expires.IsZero() && a.now().After(rec.Expires) {
		return nil, fmt.Errorf("%w: API key %q expired", ErrBadCredentials, rec.ID)
	}
	return (&User{ID: rec.Owner, Scopes: rec.Scopes, Roles: rec.Roles, Method: MethodAPIKey, TokenID: rec.ID, ExpiresAt: rec.Expires}).withLists(), nil
}

// MemoryAPIKeys is an APIKeyStore in memory.
type MemoryAPIKeys struct {
	mu   sync.RWMutex
	keys map[string]APIKey
}

// NewMemoryAPIKeys returns a store holding keys.
func NewMemoryAPIKeys(keys ...APIKey) *MemoryAPIKeys {
	m := &MemoryAPIKeys{keys: map[string]APIKey{}}
	for _, k := range keys {
		m.keys[k.ID] = k
	}
	return m
}

// Add stores a key.
func (m *MemoryAPIKeys) Add(k APIKey) { m.mu.Lock(); m.keys[k.ID] = k; m.mu.Unlock() }

// Delete removes a key.
func (m *MemoryAPIKeys) Delete(id string) { m.mu.Lock(); delete(m.keys, id); m.mu.Unlock() }

// LookupAPIKey implements APIKeyStore.
func (m *MemoryAPIKeys) LookupAPIKey(_ context.Context, id string) (*APIKey, error) {
	m.mu.RLock()
	k, ok := m.keys[id]
	m.mu.RUnlock()
	if !ok {
		return nil, ErrNotFound
	}
	return &k, nil
}

// BasicFunc checks HTTP Basic credentials and returns the user, or an error.
// Wrong credentials, an unknown user included, are a 401 like every refusal:
// return ErrBadCredentials, or ErrNotFound (a user store's "no such user"),
// or ErrPasswordTooLong from VerifyPassword, wrapped or not. Any other error
// means the check could not answer (its store is down) and is a 503: do not
// return one for an unknown user, which would tell unknown users from wrong
// passwords. Check passwords with VerifyPassword, and call
// VerifyDummyPassword for an unknown user so that it takes as long as a
// wrong password.
type BasicFunc func(ctx context.Context, user, password string) (*User, error)

func (a *Auth) checkBasic(c *covet.Context, name, pass string) (*User, error) {
	if len(name) > 256 || len(pass) > MaxPasswordLength {
		return nil, fmt.Errorf("%w: Basic credentials too long", ErrBadCredentials)
	}
	u, err := a.cfg.basic(c.Context(), name, pass)
	if err != nil {
		if errors.Is(err, ErrBadCredentials) {
			return nil, err
		}
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrPasswordTooLong) {
			return nil, fmt.Errorf("%w: %w", ErrBadCredentials, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	}
	if u == nil {
		return nil, fmt.Errorf("%w: Basic check returned no user", ErrBadCredentials)
	}
	cp := *u
	cp.Method = MethodBasic
	return cp.withLists(), nil
}

var _ APIKeyStore = (*MemoryAPIKeys)(nil)
