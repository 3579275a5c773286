package authredis

import (
	"context"
	"strconv"
	"time"

	"github.com/covetgo/covet/plugins/auth"
	"github.com/redis/go-redis/v9"
)

// Revocation is an auth.RevocationStore in Redis. Keys:
// PREFIX{subject}:j:<jti> (a revoked token, until it expires) and
// PREFIX{subject}:s (the subject's cut-off, Unix milliseconds).
type Revocation struct{ *base }

// NewRevocation returns a revocation store on a client the caller owns.
func NewRevocation(client redis.UniversalClient, opts ...Option) (*Revocation, error) {
	b, err := newBase("revocation", client, opts)
	if err != nil {
		return nil, err
	}
	return &Revocation{b}, nil
}

func (r *Revocation) keys(jti, subject string) (string, string) {
	t := r.prefix + tag(subject)
	return t + ":j:" + jti, t + ":s"
}

// RevokeToken implements auth.RevocationStore.
func (r *Revocation) RevokeToken(ctx context.Context, subject, jti string, exp time.Time) error {
	jk, _ := r.keys(jti, subject)
	ttl := time.Until(exp)
	if ttl <= 0 {
		return nil
	}
	return r.do(ctx, func(ctx context.Context) error { return r.client.Set(ctx, jk, "1", ttl).Err() })
}

// RevokeSubject implements auth.RevocationStore.
func (r *Revocation) RevokeSubject(ctx context.Context, subject string, t time.Time) error {
	_, sk := r.keys("", subject)
	ms := t.UnixMilli()
	return r.do(ctx, func(ctx context.Context) error {
		// Keep the later cut-off if one is already set.
		return maxScript.Run(ctx, r.client, []string{sk}, ms, r.retain.Milliseconds()).Err()
	})
}

var maxScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local v = tonumber(ARGV[1])
if v > cur then cur = v end
redis.call('SET', KEYS[1], cur, 'PX', ARGV[2])
return cur`)

// Revoked implements auth.RevocationStore: one MGET, one round trip.
func (r *Revocation) Revoked(ctx context.Context, jti, subject string, iat time.Time) (bool, error) {
	jk, sk := r.keys(jti, subject)
	var vals []any
	err := r.do(ctx, func(ctx context.Context) error {
		var err error
		vals, err = r.client.MGet(ctx, jk, sk).Result()
		return err
	})
	if err != nil {
		return false, err
	}
	if jti != "" && vals[0] != nil {
		return true, nil
	}
	if s, ok := vals[1].(string); ok {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err == nil && iat.UnixMilli() <= ms {
			return true, nil
		}
	}
	return false, nil
}

var _ auth.RevocationStore = (*Revocation)(nil)
