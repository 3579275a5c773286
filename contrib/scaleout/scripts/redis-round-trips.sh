#!/usr/bin/env bash
# redis-round-trips.sh counts the Redis round trips of the taskboard's
# requests: one instance (SQLite) on a private Redis, 20 requests of each
# kind, `redis-cli MONITOR` meanwhile. A command run inside a script (shown
# by MONITOR as "[0 lua]") is not a round trip, a MULTI … EXEC block is one;
# every other line is one.
#
#   contrib/scaleout/scripts/redis-round-trips.sh
#   TASKBOARD_CACHE_MAX_STALE=-1s contrib/scaleout/scripts/redis-round-trips.sh   # pub/sub only
#
# Settings: RT_DIR (state, default /tmp/scaleout-rt), RT_PORT (Redis port,
# default 26399; the taskboard listens on RT_PORT+1).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
dir="${RT_DIR:-/tmp/scaleout-rt}"
port="${RT_PORT:-26399}"
addr="127.0.0.1:$((port + 1))"
mkdir -p "$dir"
rm -f "$dir/tb.db"
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
(cd "$root/contrib/examples" && go build -o "$dir/taskboard" ./taskboard)
COVET_ENV=production TASKBOARD_ADDR="$addr" TASKBOARD_ALLOWED_HOSTS=127.0.0.1 TASKBOARD_FRONTEND_ORIGIN="" \
  DATABASE_URL="sqlite://$dir/tb.db" REDIS_URL="redis://127.0.0.1:$port/0" \
  TASKBOARD_SECRET=round-trips-0123456789abcdef0123456789 "$dir/taskboard" >"$dir/taskboard.log" 2>&1 &
tb=$!
cleanup() { kill "$tb" 2>/dev/null || true; redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; }
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
curl -sf -XPOST "http://$addr/api/v1/users" -H 'Content-Type: application/json' \
  -d '{"name":"rt","email":"rt@example.com","password":"password-rt-1"}' >/dev/null
tok=$(curl -sf -XPOST "http://$addr/api/v1/auth/token" -d 'grant_type=password&username=rt@example.com&password=password-rt-1' |
  python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
create() {
  curl -sf -XPOST "http://$addr/api/v1/tasks" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
    -d '{"title":"t","priority":1}' >/dev/null
}
list() { curl -sf "http://$addr/api/v1/tasks" >/dev/null; }
for _ in 1 2; do create; list; list; done # loads the scripts
measure() { # name, function run 20 times
  redis-cli -p "$port" MONITOR >"$dir/monitor.$1.txt" &
  local m=$!
  sleep 0.3
  for _ in $(seq 20); do "$2"; done
  sleep 0.3
  kill "$m"
  wait "$m" 2>/dev/null || true
  # One name per round trip: a MULTI … EXEC block is named "multi[cmd,cmd,…]".
  grep '^[0-9]' "$dir/monitor.$1.txt" | grep -v ' lua\]' | awk '
    { c = tolower($4); gsub(/"/, "", c) }
    c == "multi" { tx = "multi["; next }
    c == "exec" { print tx "]"; tx = ""; next }
    tx != "" { tx = tx c ","; next }
    { print c }' >"$dir/trips.$1.txt"
  echo "$1: $(wc -l <"$dir/trips.$1.txt") round trips for 20 requests:" \
    "$(sort "$dir/trips.$1.txt" | uniq -c | sort -rn | tr -s ' \n' ' ')"
}
both() { create; list; }
measure "create" create
measure "list (in-memory hit)" list
measure "create then list (a miss)" both
