-- Covet ratelimit: checks one request against every limit in KEYS and, only
-- if all allow it, consumes one request from each. A line-by-line port of
-- algo.go (same arithmetic, same order), so Redis and memory agree.
--
-- ARGV[1]: the time in microseconds, or 0 to use the server's clock (the
-- default: one clock for every instance). A time given by the caller (tests
-- pin the clock) is not the clock the server expires keys by: keys written
-- then get no expiry (the caller deletes them).
-- Then per key: algorithm (0 GCRA, 1 sliding window), then for GCRA the
-- emission interval and the burst, for a sliding window the window and the
-- limit (microseconds and counts).
-- Returns {all_allowed, then per key: allowed, remaining, reset, retry}.
local now = tonumber(ARGV[1])
local pinned = now ~= 0
if not pinned then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local n = #KEYS
local all = 1
local res = {}
local new = {}
for i = 1, n do
  local algo = tonumber(ARGV[2 + (i - 1) * 3])
  local p1 = tonumber(ARGV[3 + (i - 1) * 3])
  local p2 = tonumber(ARGV[4 + (i - 1) * 3])
  if algo == 0 then
    local interval, burst = p1, p2
    local tat = tonumber(redis.call('GET', KEYS[i]))
    if tat == nil or tat < now then
      tat = now
    end
    local newtat = tat + interval
    local allowat = newtat - interval * burst
    if now < allowat then
      all = 0
      res[i] = {0, 0, tat - now, allowat - now}
    else
      res[i] = {1, math.floor((now - allowat) / interval), newtat - now, 0}
      new[i] = newtat
    end
  else
    local w, limit = p1, p2
    local win = math.floor(now / w)
    local h = redis.call('HMGET', KEYS[i], 'w', 'c', 'p')
    local cur, prev = 0, 0
    local sw = tonumber(h[1])
    if sw == win then
      cur, prev = tonumber(h[2]), tonumber(h[3])
    elseif sw == win - 1 then
      prev = tonumber(h[2])
    end
    local elapsed = now - win * w
    local weighted = prev * (w - elapsed) / w + cur
    if weighted + 1 > limit then
      all = 0
      local retry
      if cur + 1 <= limit then
        retry = math.ceil(w - (limit - 1 - cur) * w / prev) - elapsed
      else
        retry = w - elapsed + math.ceil(w - (limit - 1) * w / cur)
      end
      if retry < 1 then
        retry = 1
      end
      res[i] = {0, 0, w - elapsed, retry}
    else
      res[i] = {1, math.floor(limit - weighted - 1), w - elapsed, 0}
      new[i] = {win, cur + 1, prev}
    end
  end
end
local out = {all}
for i = 1, n do
  local algo = tonumber(ARGV[2 + (i - 1) * 3])
  local p1 = tonumber(ARGV[3 + (i - 1) * 3])
  local r = res[i]
  if all == 1 then
    if algo == 0 then
      if pinned then
        redis.call('SET', KEYS[i], string.format('%.0f', new[i]))
      else
        redis.call('SET', KEYS[i], string.format('%.0f', new[i]), 'PX', math.ceil((new[i] - now) / 1000))
      end
    else
      local s = new[i]
      redis.call('HSET', KEYS[i], 'w', string.format('%.0f', s[1]), 'c', string.format('%.0f', s[2]), 'p', string.format('%.0f', s[3]))
      if not pinned then
        redis.call('PEXPIRE', KEYS[i], math.ceil(((s[1] + 2) * p1 - now) / 1000))
      end
    end
  elseif r[1] == 1 then
    -- Refused by another limit: nothing was consumed from this one.
    r[2] = r[2] + 1
    if algo == 0 then
      r[3] = r[3] - p1
      if r[3] < 0 then
        r[3] = 0
      end
    end
  end
  out[#out + 1] = r[1]
  out[#out + 1] = r[2]
  out[#out + 1] = r[3]
  out[#out + 1] = r[4]
end
return out
