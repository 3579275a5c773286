package auth

import (
	"context"
	"sync"
	"time"
)

// RevocationStore records revoked access tokens (by jti) and "log out
// everywhere" cut-offs (every token of a subject issued before a time). The
// plugin asks it once per authenticated bearer request, for both at once:
// a networked store must answer Revoked in one round trip.
//
// Implementations: NewMemoryRevocation (one instance), authredis.NewRevocation
// and authsql.Store.Revocation (shared between instances). They must be safe for concurrent use.
type RevocationStore interface {
	// RevokeToken revokes the token jti of subject until it would have
	// expired anyway.
	RevokeToken(ctx context.Context, subject, jti string, expiresAt time.Time) error
	// RevokeSubject revokes every token of subject issued before t.
	RevokeSubject(ctx context.Context, subject string, t time.Time) error
	// Revoked reports whether the token jti of subject, issued at issuedAt,
	// is revoked by either record. An error means the store could not
	// answer; the plugin's FailureMode decides.
	Revoked(ctx context.Context, jti, subject string, issuedAt time.Time) (bool, error)
}

// FailureMode is what the plugin does with a request when its revocation
// store cannot answer.
type FailureMode uint8

const (
	// FailClosed answers 503 Service Unavailable (problem+json, Retry-After)
	// and counts it in Stats.FailedClosed. The default: a token that may
	// have been revoked is not honoured.
	FailClosed FailureMode = iota
	// FailOpen lets the request through as if the token were not revoked,
	// logs it (at most one line per 10 seconds, with the count) and counts
	// it in Stats.FailedOpen.
	FailOpen
)

// String returns "fail-closed" or "fail-open".
func (m FailureMode) String() string {
	if m == FailOpen {
		return "fail-open"
	}
	return "fail-closed"
}

// MemoryRevocation is a RevocationStore in the process: for a single
// instance, or tests. Entries are dropped once the tokens they revoke have
// expired (token records) or after the retention (subject cut-offs).
type MemoryRevocation struct {
	mu      sync.RWMutex
	tokens  map[string]time.Time // jti -> expiry
	cutoffs map[string]cutoff    // subject -> issued-before
	retain  time.Duration
	now     func() time.Time
	writes  int
}

type cutoff struct{ before, until time.Time }

// NewMemoryRevocation returns an in-memory store. Subject cut-offs are kept
// for retain (default 30 days when retain <= 0): set it to the longest
// lifetime of a token or refresh token the app issues.
func NewMemoryRevocation(retain time.Duration) *MemoryRevocation {
	if retain <= 0 {
		retain = 30 * 24 * time.Hour
	}
	return &MemoryRevocation{tokens: map[string]time.Time{}, cutoffs: map[string]cutoff{}, retain: retain, now: time.Now}
}

// RevokeToken implements RevocationStore.
func (m *MemoryRevocation) RevokeToken(_ context.Context, _, jti string, exp time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[jti] = exp
	m.sweepLocked()
	return nil
}

// RevokeSubject implements RevocationStore.
func (m *MemoryRevocation) RevokeSubject(_ context.Context, subject string, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.cutoffs[subject]; ok && old.before.After(t) {
		t = old.before
	}
	m.cutoffs[subject] = cutoff{before: t, until: m.now().Add(m.retain)}
	m.sweepLocked()
	return nil
}

// Revoked implements RevocationStore.
func (m *MemoryRevocation) Revoked(_ context.Context, jti, subject string, iat time.Time) (bool, error) {
	m.mu.RLock()
	var tok, sub bool
	var co cutoff
	if len(m.tokens) > 0 {
		_, tok = m.tokens[jti]
	}
	if len(m.cutoffs) > 0 {
		co, sub = m.cutoffs[subject]
	}
	m.mu.RUnlock()
	if tok && jti != "" {
		return true, nil
	}
	return sub && !iat.After(co.before), nil
}

// sweepLocked drops expired entries every 1024 writes.
func (m *MemoryRevocation) sweepLocked() {
	m.writes++
	if m.writes%1024 != 0 {
		return
	}
	now := m.now()
	for k, exp := range m.tokens {
		if now.After(exp) {
			delete(m.tokens, k)
		}
	}
	for k, c := range m.cutoffs {
		if now.After(c.until) {
			delete(m.cutoffs, k)
		}
	}
}

var _ RevocationStore = (*MemoryRevocation)(nil)
