package authsql

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/covetgo/covet/plugins/auth"
)

// Revocation is an auth.RevocationStore in two tables:
// PREFIXrevoked_tokens (subject, jti, until the token would expire) and
// PREFIXrevoked_subjects (the subject's "log out everywhere" cut-off).
type Revocation struct{ s *Store }

// RevokeToken implements auth.RevocationStore.
func (r *Revocation) RevokeToken(ctx context.Context, subject, jti string, expiresAt time.Time) error {
	s := r.s
	if !expiresAt.After(s.now()) {
		return nil
	}
	if _, err := s.exec(ctx, s.q.jtiUpsert, subject, jti, s.ms(expiresAt)); err != nil {
		return fmt.Errorf("authsql: revoke token: %w", err)
	}
	s.maybeSweep(ctx, sweepJTI, sweepSubjects)
	return nil
}

// RevokeSubject implements auth.RevocationStore; a later cut-off already
// stored is kept.
func (r *Revocation) RevokeSubject(ctx context.Context, subject string, t time.Time) error {
	s := r.s
	if _, err := s.exec(ctx, s.q.subjUpsert, subject, s.ms(t), s.ms(s.now().Add(s.retain))); err != nil {
		return fmt.Errorf("authsql: revoke subject: %w", err)
	}
	return nil
}

// Revoked implements auth.RevocationStore: one SELECT, one round trip.
func (r *Revocation) Revoked(ctx context.Context, jti, subject string, issuedAt time.Time) (bool, error) {
	s := r.s
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	now := s.ms(s.now())
	var n int64
	var cutoff sql.NullInt64
	if err := s.queryRow(ctx, s.q.revoked, subject, jti, now, subject, now).Scan(&n, &cutoff); err != nil {
		return false, fmt.Errorf("authsql: revoked: %w", err)
	}
	if jti != "" && n > 0 {
		return true, nil
	}
	return cutoff.Valid && issuedAt.UnixMilli() <= cutoff.Int64, nil
}

var _ auth.RevocationStore = (*Revocation)(nil)
