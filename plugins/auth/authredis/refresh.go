package authredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/covetgo/covet/plugins/auth"
	"github.com/redis/go-redis/v9"
)

// Refresh is an auth.RefreshStore in Redis. Keys: PREFIX{family}:f (the
// family: subject, scopes, roles, end, revoked), PREFIX{family}:t:<hash>
// (a token: used or not), both expiring with the family, and
// PREFIX:u:<subject> (the subject's families, for log out everywhere).
// Consume is one script: atomic across instances.
type Refresh struct{ *base }

// NewRefresh returns a refresh token store on a client the caller owns.
func NewRefresh(client redis.UniversalClient, opts ...Option) (*Refresh, error) {
	b, err := newBase("refresh", client, opts)
	if err != nil {
		return nil, err
	}
	return &Refresh{b}, nil
}

func (r *Refresh) famKey(f string) string    { return r.prefix + tag(f) + ":f" }
func (r *Refresh) tokKey(f, h string) string { return r.prefix + tag(f) + ":t:" + h }
func (r *Refresh) userKey(sub string) string { return r.prefix + "u:" + sub }

var createScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'revoked') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'data', ARGV[2], 'exp', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], 'u', '0')
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
return 1`)

// consumeScript: 0 unknown, 1 ok (+ fields), 2 reused (family revoked), 3 revoked.
var consumeScript = redis.NewScript(`
local u = redis.call('HGET', KEYS[2], 'u')
if not u then return {0} end
local f = redis.call('HMGET', KEYS[1], 'sub', 'data', 'exp', 'revoked')
if not f[1] then return {0} end
if f[4] == '1' then return {3} end
if u == '1' then
  redis.call('HSET', KEYS[1], 'revoked', '1')
  return {2}
end
redis.call('HSET', KEYS[2], 'u', '1')
return {1, f[1], f[2], f[3]}`)

type familyData struct {
	Scopes []string `json:"s,omitempty"`
	Roles  []string `json:"r,omitempty"`
}

// Create implements auth.RefreshStore.
func (r *Refresh) Create(ctx context.Context, hash string, rec auth.RefreshRecord) error {
	data, _ := json.Marshal(familyData{Scopes: rec.Scopes, Roles: rec.Roles})
	exp := rec.Expires.UnixMilli()
	var ok int64
	err := r.do(ctx, func(ctx context.Context) error {
		var err error
		ok, err = createScript.Run(ctx, r.client, []string{r.famKey(rec.Family), r.tokKey(rec.Family, hash)}, rec.Subject, data, exp).Int64()
		if err != nil {
			return err
		}
		uk := r.userKey(rec.Subject)
		pipe := r.client.Pipeline()
		pipe.SAdd(ctx, uk, rec.Family)
		pipe.PExpireAt(ctx, uk, rec.Expires) // at least as long as this family
		_, err = pipe.Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if ok == 0 {
		return auth.ErrRefreshRevoked
	}
	return nil
}

// Consume implements auth.RefreshStore.
func (r *Refresh) Consume(ctx context.Context, family, hash string) (auth.RefreshRecord, error) {
	var res []any
	err := r.do(ctx, func(ctx context.Context) error {
		var err error
		res, err = consumeScript.Run(ctx, r.client, []string{r.famKey(family), r.tokKey(family, hash)}).Slice()
		return err
	})
	if err != nil {
		return auth.RefreshRecord{}, err
	}
	code, _ := res[0].(int64)
	switch code {
	case 2:
		return auth.RefreshRecord{}, auth.ErrRefreshReused
	case 3:
		return auth.RefreshRecord{}, auth.ErrRefreshRevoked
	case 1:
	default:
		return auth.RefreshRecord{}, auth.ErrRefreshInvalid
	}
	if len(res) != 4 {
		return auth.RefreshRecord{}, errors.New("authredis: unexpected script reply")
	}
	sub, _ := res[1].(string)
	data, _ := res[2].(string)
	expS, _ := res[3].(string)
	exp, err := strconv.ParseInt(expS, 10, 64)
	if err != nil {
		return auth.RefreshRecord{}, fmt.Errorf("authredis: family end %q: %w", expS, err)
	}
	var fd familyData
	_ = json.Unmarshal([]byte(data), &fd)
	return auth.RefreshRecord{Family: family, Subject: sub, Scopes: fd.Scopes, Roles: fd.Roles, Expires: time.UnixMilli(exp)}, nil
}

// RevokeFamily implements auth.RefreshStore.
func (r *Refresh) RevokeFamily(ctx context.Context, family string) error {
	return r.do(ctx, func(ctx context.Context) error {
		return revokeScript.Run(ctx, r.client, []string{r.famKey(family)}).Err()
	})
}

var revokeScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end
return 1`)

// RevokeSubject implements auth.RefreshStore.
func (r *Refresh) RevokeSubject(ctx context.Context, subject string) error {
	var fams []string
	if err := r.do(ctx, func(ctx context.Context) error {
		var err error
		fams, err = r.client.SMembers(ctx, r.userKey(subject)).Result()
		return err
	}); err != nil {
		return err
	}
	for _, f := range fams {
		if err := r.RevokeFamily(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

var _ auth.RefreshStore = (*Refresh)(nil)
