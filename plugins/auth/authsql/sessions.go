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

// Sessions is an auth.SessionStore in PREFIXsessions (the session as
// JSON by the hash of its id, its user, its end).
type Sessions struct{ s *Store }

// Load implements auth.SessionStore.
func (x *Sessions) Load(ctx context.Context, key string) (auth.SessionRecord, error) {
	s := x.s
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var data string
	err := s.queryRow(ctx, s.q.sessLoad, key, s.ms(s.now())).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.SessionRecord{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.SessionRecord{}, fmt.Errorf("authsql: session load: %w", err)
	}
	var rec auth.SessionRecord
	if err := json.Unmarshal([]byte(data), &rec); err != nil {
		return auth.SessionRecord{}, fmt.Errorf("authsql: session: %w", err)
	}
	return rec, nil
}

// Save implements auth.SessionStore (an upsert).
func (x *Sessions) Save(ctx context.Context, key string, rec auth.SessionRecord, ttl time.Duration) error {
	s := x.s
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := s.exec(ctx, s.q.sessUpsert, key, rec.UserID, string(b), s.ms(s.now().Add(ttl))); err != nil {
		return fmt.Errorf("authsql: session save: %w", err)
	}
	s.maybeSweep(ctx, sweepSessions)
	return nil
}

// Delete implements auth.SessionStore.
func (x *Sessions) Delete(ctx context.Context, key string) error {
	if _, err := x.s.exec(ctx, x.s.q.sessDelete, key); err != nil {
		return fmt.Errorf("authsql: session delete: %w", err)
	}
	return nil
}

// DeleteUser implements auth.SessionStore.
func (x *Sessions) DeleteUser(ctx context.Context, userID string) error {
	if _, err := x.s.exec(ctx, x.s.q.sessDeleteUser, userID); err != nil {
		return fmt.Errorf("authsql: session delete user: %w", err)
	}
	return nil
}

var _ auth.SessionStore = (*Sessions)(nil)
