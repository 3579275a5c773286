package authredis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/covetgo/covet/plugins/auth"
	"github.com/redis/go-redis/v9"
)

// Sessions is an auth.SessionStore in Redis. Keys: PREFIX:s:<hash> (the
// session as JSON, expiring with it) and PREFIX:su:<user> (the user's
// sessions, for log out everywhere).
type Sessions struct{ *base }

// NewSessions returns a session store on a client the caller owns.
func NewSessions(client redis.UniversalClient, opts ...Option) (*Sessions, error) {
	b, err := newBase("sessions", client, opts)
	if err != nil {
		return nil, err
	}
	return &Sessions{b}, nil
}

func (s *Sessions) key(k string) string     { return s.prefix + "s:" + k }
func (s *Sessions) userKey(u string) string { return s.prefix + "su:" + u }

// Load implements auth.SessionStore.
func (s *Sessions) Load(ctx context.Context, key string) (auth.SessionRecord, error) {
	var b []byte
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		b, err = s.client.Get(ctx, s.key(key)).Bytes()
		return err
	})
	if err == redis.Nil {
		return auth.SessionRecord{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.SessionRecord{}, err
	}
	var rec auth.SessionRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return auth.SessionRecord{}, fmt.Errorf("authredis: session: %w", err)
	}
	return rec, nil
}

// Save implements auth.SessionStore.
func (s *Sessions) Save(ctx context.Context, key string, rec auth.SessionRecord, ttl time.Duration) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.do(ctx, func(ctx context.Context) error {
		pipe := s.client.TxPipeline()
		pipe.Set(ctx, s.key(key), b, ttl)
		uk := s.userKey(rec.UserID)
		pipe.SAdd(ctx, uk, key)
		pipe.Expire(ctx, uk, 24*time.Hour+ttl)
		_, err := pipe.Exec(ctx)
		return err
	})
}

// Delete implements auth.SessionStore.
func (s *Sessions) Delete(ctx context.Context, key string) error {
	return s.do(ctx, func(ctx context.Context) error { return s.client.Del(ctx, s.key(key)).Err() })
}

// DeleteUser implements auth.SessionStore.
func (s *Sessions) DeleteUser(ctx context.Context, userID string) error {
	return s.do(ctx, func(ctx context.Context) error {
		keys, err := s.client.SMembers(ctx, s.userKey(userID)).Result()
		if err != nil {
			return err
		}
		del := []string{s.userKey(userID)}
		for _, k := range keys {
			del = append(del, s.key(k))
		}
		return s.client.Del(ctx, del...).Err()
	})
}

var _ auth.SessionStore = (*Sessions)(nil)
