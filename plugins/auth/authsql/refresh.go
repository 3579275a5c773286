package authsql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/covetgo/covet/plugins/auth"
)

// Refresh is an auth.RefreshStore in two tables: PREFIXrefresh_families
// (subject, scopes and roles as JSON, end, revoked) and
// PREFIXrefresh_tokens (token hash, family, used).
type Refresh struct{ s *Store }

type familyData struct {
	Scopes []string `json:"s,omitempty"`
	Roles  []string `json:"r,omitempty"`
}

// Create implements auth.RefreshStore: two statements, an insert of the
// family unless it exists, and an insert of the token that selects the
// family row only while it is not revoked.
func (r *Refresh) Create(ctx context.Context, hash string, rec auth.RefreshRecord) error {
	s := r.s
	data, _ := json.Marshal(familyData{Scopes: rec.Scopes, Roles: rec.Roles})
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.execStmt(ctx, s.q.famInsert, rec.Family, rec.Subject, string(data), s.ms(rec.Expires)); err != nil {
		return fmt.Errorf("authsql: refresh create: %w", err)
	}
	res, err := s.execStmt(ctx, s.q.tokInsert, hash, rec.Family)
	if err != nil {
		return fmt.Errorf("authsql: refresh create: %w", err)
	}
	// A plain INSERT ... SELECT: the count is the rows inserted on every
	// dialect and driver setting.
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("authsql: refresh create: %w", err)
	}
	if n == 0 {
		return auth.ErrRefreshRevoked
	}
	s.maybeSweep(ctx, sweepTokens, sweepFamilies)
	return nil
}

// Consume implements auth.RefreshStore: a read of the family, then the use,
// one UPDATE of the token
// row from unused to used: of concurrent calls exactly one changes the row.
// A call that changes nothing reads why: unknown or expired (invalid),
// family revoked, or token already used (reuse: the family is revoked).
func (r *Refresh) Consume(ctx context.Context, family, hash string) (auth.RefreshRecord, error) {
	s := r.s
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	now := s.ms(s.now())
	// The family is read before the use: the use that wins returns the
	// record even if a concurrent reuse revokes the family right after (the
	// rotated token's Create then fails), as with a lock held across both.
	var (
		sub, data    string
		exp, revoked int64
	)
	err := s.queryRow(ctx, s.q.famGet, family, now).Scan(&sub, &data, &exp, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.RefreshRecord{}, auth.ErrRefreshInvalid
	}
	if err != nil {
		return auth.RefreshRecord{}, fmt.Errorf("authsql: refresh consume: %w", err)
	}
	res, err := s.execStmt(ctx, s.q.consume, hash, family, now)
	if err != nil {
		return auth.RefreshRecord{}, fmt.Errorf("authsql: refresh consume: %w", err)
	}
	// The UPDATE matches only unused rows and marks them used, so the rows
	// it matches are the rows it changes: the count is the same whether the
	// driver reports either (go-sql-driver/mysql's clientFoundRows).
	won, err := res.RowsAffected()
	if err != nil {
		return auth.RefreshRecord{}, fmt.Errorf("authsql: refresh consume: %w", err)
	}
	if won == 0 {
		var used int64
		err := s.queryRow(ctx, s.q.tokState, hash, family, now).Scan(&used)
		if errors.Is(err, sql.ErrNoRows) {
			return auth.RefreshRecord{}, auth.ErrRefreshInvalid
		}
		if err != nil {
			return auth.RefreshRecord{}, fmt.Errorf("authsql: refresh consume: %w", err)
		}
	}
	if revoked != 0 {
		return auth.RefreshRecord{}, auth.ErrRefreshRevoked
	}
	if won == 0 {
		// The token exists, unexpired, and is used: reuse.
		if _, err := s.execStmt(ctx, s.q.famRevoke, family); err != nil {
			return auth.RefreshRecord{}, fmt.Errorf("authsql: refresh reuse: revoke family: %w", err)
		}
		return auth.RefreshRecord{}, auth.ErrRefreshReused
	}
	var fd familyData
	_ = json.Unmarshal([]byte(data), &fd)
	return auth.RefreshRecord{Family: family, Subject: sub, Scopes: fd.Scopes, Roles: fd.Roles, Expires: time.UnixMilli(exp)}, nil
}

// RevokeFamily implements auth.RefreshStore.
func (r *Refresh) RevokeFamily(ctx context.Context, family string) error {
	if _, err := r.s.exec(ctx, r.s.q.famRevoke, family); err != nil {
		return fmt.Errorf("authsql: revoke family: %w", err)
	}
	return nil
}

// RevokeSubject implements auth.RefreshStore: one UPDATE of the subject's
// families.
func (r *Refresh) RevokeSubject(ctx context.Context, subject string) error {
	if _, err := r.s.exec(ctx, r.s.q.subjRevoke, subject); err != nil {
		return fmt.Errorf("authsql: revoke subject: %w", err)
	}
	return nil
}

var _ auth.RefreshStore = (*Refresh)(nil)
