package ws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ReplayStore keeps the recent events of each room outside the process, so
// that an SSE client resuming with Last-Event-ID gets what it missed from
// any instance, also after a restart (WithReplayStore). Event ids come from
// the store and are the same on every instance.
type ReplayStore interface {
	// Append stores one event of room and returns its id (increasing).
	Append(ctx context.Context, room string, ev ReplayEvent) (uint64, error)
	// Since returns the stored events of rooms with an id after after, in
	// id order.
	Since(ctx context.Context, rooms []string, after uint64) ([]ReplayEvent, error)
}

// ReplayEvent is one stored SSE event.
type ReplayEvent struct {
	ID    uint64
	Event string
	Data  []byte
}

// RedisReplay is a ReplayStore on Redis Streams: one stream per room
// ({<prefix>}:<room>), trimmed to the last maxLen entries at every append
// (XADD MAXLEN, exact) and expiring ttl after the last event, so rooms that
// went quiet leave nothing behind. Entry ids are made by one Lua script
// from Redis's clock and a last-id key shared by all rooms ({<prefix>}:last),
// so they increase across rooms and instances and never repeat (two rooms'
// streams would otherwise both have "ms-0"); an SSE id is the entry id
// "ms-seq" packed as ms<<20 | seq. The braces keep every key in one Redis
// Cluster slot.
type RedisReplay struct {
	client redis.UniversalClient
	prefix string
	maxLen int64
	ttl    time.Duration
}

// NewRedisReplay returns a replay store on client keeping the last maxLen
// events of each room (1,000 when 0) under prefix ("myapp:ws:replay"),
// kept 24 hours after the last event. Redis ≥ 6.2.
func NewRedisReplay(client redis.UniversalClient, prefix string, maxLen int) *RedisReplay {
	if maxLen <= 0 {
		maxLen = 1000
	}
	return &RedisReplay{client: client, prefix: "{" + prefix + "}", maxLen: int64(maxLen), ttl: 24 * time.Hour}
}

func (r *RedisReplay) key(room string) string { return r.prefix + ":" + room }

// appendScript adds one entry with the next global id: Redis's clock in
// ms, or the last id's ms with the next sequence when the clock has not
// moved on (or went back).
var appendScript = redis.NewScript(appendLua + "return id\n")

// appendLua is the body both append scripts share: it leaves the new
// entry's id in the local id.
const appendLua = `
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = redis.call('HMGET', KEYS[2], 'ms', 'seq')
local lms, lseq = tonumber(last[1]) or 0, tonumber(last[2]) or 0
local seq = 0
if ms <= lms then ms = lms; seq = lseq + 1 end
redis.call('HSET', KEYS[2], 'ms', ms, 'seq', seq)
local id = string.format('%d-%d', ms, seq)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], id, 'e', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
`

// Append adds the event to the room's stream (one round trip).
func (r *RedisReplay) Append(ctx context.Context, room string, ev ReplayEvent) (uint64, error) {
	id, err := appendScript.Run(ctx, r.client, []string{r.key(room), r.prefix + ":last"},
		r.maxLen, ev.Event, ev.Data, r.ttl.Milliseconds()).Text()
	if err != nil {
		return 0, err
	}
	return packStreamID(id)
}

// appendPublishScript is appendScript followed by the broker's PUBLISH of
// the broadcast (ARGV[6] on channel ARGV[5]), the entry id put in front of
// the envelope's other fields as "r" and, packed as packStreamID does
// (ms<<20 | seq), as "i", which every release reads (see envelope): one
// round trip for both. Lua's numbers are doubles (exact to 2^53), the
// packed id reaches 2^61: it is written in decimal from two limbs of 10^7.
// A sequence of 2^20 or more in one ms (which packStreamID refuses) gets
// no "i".
var appendPublishScript = redis.NewScript(appendLua + `
local i = ''
if seq < 1048576 then
  local a = math.floor(ms / 10000000)
  local low = (ms - a * 10000000) * 1048576 + seq
  local carry = math.floor(low / 10000000)
  local high = a * 1048576 + carry
  low = low - carry * 10000000
  if high > 0 then
    i = string.format('"i":%d%07d,', high, low)
  else
    i = string.format('"i":%d,', low)
  end
end
redis.call('PUBLISH', ARGV[5], '{' .. i .. '"r":"' .. id .. '",' .. ARGV[6])
return id
`)

// appendPublish is Append and the broker's Publish of the broadcast in one
// script: rest is the envelope's JSON without its opening brace, to which
// the script adds the entry id ("r"). Either both happened or, on an error,
// neither may have (a lost reply: both may have).
func (r *RedisReplay) appendPublish(ctx context.Context, room string, ev ReplayEvent, channel string, rest []byte) (uint64, error) {
	id, err := appendPublishScript.Run(ctx, r.client, []string{r.key(room), r.prefix + ":last"},
		r.maxLen, ev.Event, ev.Data, r.ttl.Milliseconds(), channel, rest).Text()
	if err != nil {
		return 0, err
	}
	return packStreamID(id)
}

// Keys returns the Redis keys of rooms (and the last-id key), for cleanup.
func (r *RedisReplay) Keys(rooms ...string) []string {
	keys := []string{r.prefix + ":last"}
	for _, room := range rooms {
		keys = append(keys, r.key(room))
	}
	return keys
}

// Since reads each room's stream after the id (XRANGE with an exclusive
// start) and merges them in id order.
func (r *RedisReplay) Since(ctx context.Context, rooms []string, after uint64) ([]ReplayEvent, error) {
	start := "(" + unpackStreamID(after)
	pipe := r.client.Pipeline()
	cmds := make([]*redis.XMessageSliceCmd, len(rooms))
	for i, room := range rooms {
		cmds[i] = pipe.XRangeN(ctx, r.key(room), start, "+", r.maxLen)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	var out []ReplayEvent
	for _, c := range cmds {
		for _, m := range c.Val() {
			id, err := packStreamID(m.ID)
			if err != nil {
				return nil, err
			}
			ev, _ := m.Values["e"].(string)
			data, _ := m.Values["d"].(string)
			out = append(out, ReplayEvent{ID: id, Event: ev, Data: []byte(data)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

const streamSeqBits = 20

func packStreamID(s string) (uint64, error) {
	msS, seqS, ok := strings.Cut(s, "-")
	ms, err1 := strconv.ParseUint(msS, 10, 64)
	seq, err2 := strconv.ParseUint(seqS, 10, 64)
	if !ok || err1 != nil || err2 != nil || seq >= 1<<streamSeqBits {
		return 0, fmt.Errorf("ws: unexpected stream id %q", s)
	}
	return ms<<streamSeqBits | seq, nil
}

func unpackStreamID(id uint64) string {
	return strconv.FormatUint(id>>streamSeqBits, 10) + "-" + strconv.FormatUint(id&(1<<streamSeqBits-1), 10)
}
