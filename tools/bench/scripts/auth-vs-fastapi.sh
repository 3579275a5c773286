#!/usr/bin/env bash
# Authenticated endpoint, Covet vs FastAPI, in one run: GET /me with an HS256
# bearer JWT, verified with exp/iss/aud checks.
#   covet:   contrib/examples/authbench (plugins/auth: auth.Required(), memory revocation)
#   fastapi: servers/python/fastapi_auth.py (OAuth2PasswordBearer + PyJWT, uvicorn,
#            1 worker, uvloop + httptools)
# Each server on CPU 0, wrk on CPU 1 (when there are 2 CPUs), interleaved rounds,
# ratio of the median req/s. Needs wrk, python3-fastapi, python3-uvicorn,
# python3-uvloop, python3-httptools, python3-jwt (Debian).
# Usage: scripts/auth-vs-fastapi.sh [rounds] [seconds] [connections]
set -euo pipefail
rounds=${1:-3}
secs=${2:-5}
conns=${3:-64}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

(cd "$here/../examples" && go build -o "$work/authbench" ./authbench)
token=$("$work/authbench" -token)
pin() { if [ "$(nproc)" -ge 2 ]; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }
# The servers run as direct children (exec), so $! is the server and stop
# ends it, and their output goes to files, never to this script's stdout.
pinexec() { if [ "$(nproc)" -ge 2 ]; then exec taskset -c "$1" "${@:2}"; else exec "${@:2}"; fi; }

start() { # name port
  case $1 in
    covet) (pinexec 0 "$work/authbench" -addr "127.0.0.1:$2") >"$work/$1.log" 2>&1 & ;;
    fastapi) (cd "$here/servers/python" && pinexec 0 /usr/bin/python3 -m uvicorn fastapi_auth:app --host 127.0.0.1 --port "$2" \
               --workers 1 --loop uvloop --http httptools --no-access-log --log-level warning) >"$work/$1.log" 2>&1 & ;;
  esac
  pids+=($!)
  for _ in $(seq 100); do
    if curl -fs -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$2/me"; then return; fi
    sleep 0.1
  done
  echo "$1 did not start: $(cat "$work/$1.log")" >&2; exit 1
}
stop() { kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }

check() { # port: 200 with the token and the right body, 401 without or with a forged token
  local body code
  body=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$1/me")
  [ "$body" = '{"id":"42"}' ] || { echo "body $body" >&2; exit 1; }
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/me")
  [ "$code" = 401 ] || { echo "no token: $code" >&2; exit 1; }
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token%?}x" "http://127.0.0.1:$1/me")
  [ "$code" = 401 ] || { echo "forged token: $code" >&2; exit 1; }
}

declare -A rps
port=18090
for r in $(seq "$rounds"); do
  for s in covet fastapi; do
    port=$((port + 1))
    start "$s" "$port"
    check "$port"
    pin 1 wrk -t1 -c"$conns" -d1s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/me" >/dev/null
    v=$(pin 1 wrk -t1 -c"$conns" -d"${secs}s" -H "Authorization: Bearer $token" "http://127.0.0.1:$port/me" | awk '/Requests\/sec/ {print $2}')
    rps[$s]="${rps[$s]:-} $v"
    echo "round $r $s $v req/s"
    stop
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
c=$(echo "${rps[covet]}" | median)
f=$(echo "${rps[fastapi]}" | median)
echo
echo "| endpoint | covet req/s | fastapi req/s | ratio |"
echo "|---|---|---|---|"
awk -v c="$c" -v f="$f" 'BEGIN {printf "| GET /me, HS256 bearer JWT (median of '"$rounds"' rounds, '"$secs"' s, '"$conns"' connections) | %.0f | %.0f | %.1fx |\n", c, f, c/f}'
