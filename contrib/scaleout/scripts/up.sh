#!/usr/bin/env bash
# up.sh starts the scale-out topology on this machine: HAProxy in front of N
# taskboard instances (separate processes of one binary built once), a fresh
# PostgreSQL database and a private Redis server, all on 127.0.0.1.
#
#   contrib/scaleout/scripts/up.sh            # state in $SCALEOUT_DIR (default /tmp/scaleout)
#   curl http://127.0.0.1:18080/api/v1/tasks  # through the load balancer
#   contrib/scaleout/scripts/down.sh          # stops everything, drops the database
#
# Settings (environment):
#   SCALEOUT_DIR        state directory: logs, pids, configs, topology.env (default /tmp/scaleout)
#   SCALEOUT_INSTANCES  number of taskboard instances (default 3)
#   SCALEOUT_PORT       the load balancer's port (default 18080); instances
#                       listen on the next ports, Redis on PORT+100
#   SCALEOUT_PG         libpq URL of the PostgreSQL server, without database
#                       (default postgres://postgres@127.0.0.1:5432)
#   SCALEOUT_BINARY     a taskboard binary to use instead of building one
#   SCALEOUT_APP        covet (the taskboard, default), or a peer of the
#                       comparison: covet-min (peers/covetmin: the same
#                       minimal API written with Covet), gin (peers/gin) or
#                       fastapi (peers/fastapi under uvicorn, one process per
#                       instance); the peers serve the JSON API part only, on
#                       peers/schema.sql
#   SCALEOUT_HTTP_REUSE HAProxy's http-reuse towards the instances (default
#                       never: a fresh connection per request, so a draining
#                       instance's closing keep-alive connection never fails a
#                       request; the fault-free comparison uses safe)
#
# topology.env in the state directory names everything for the harness
# (cmd/harness) and for instance.sh, which starts, stops and kills one
# instance. The database is scaleout_<random>; down.sh drops it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
dir="${SCALEOUT_DIR:-/tmp/scaleout}"
n="${SCALEOUT_INSTANCES:-3}"
port="${SCALEOUT_PORT:-18080}"
pg="${SCALEOUT_PG:-postgres://postgres@127.0.0.1:5432}"
app="${SCALEOUT_APP:-covet}"
case "$app" in covet | covet-min | gin | fastapi) ;; *) echo "up.sh: SCALEOUT_APP=$app: covet, covet-min, gin or fastapi" >&2; exit 2 ;; esac
reuse="${SCALEOUT_HTTP_REUSE:-never}"

if [ -f "$dir/topology.env" ]; then
  echo "up.sh: $dir already holds a topology; run down.sh first" >&2
  exit 1
fi
"$root/scripts/install-haproxy.sh"
[ "$app" = fastapi ] && "$here/install-peers.sh"
mkdir -p "$dir"
export SCALEOUT_DIR="$dir"
cd "$dir"

# One binary for every instance (and for the restarts).
bin="${SCALEOUT_BINARY:-}"
if [ -z "$bin" ] && [ "$app" = covet ]; then
  bin="$dir/taskboard"
  (cd "$root" && go build -o "$bin" ./contrib/examples/taskboard)
elif [ -z "$bin" ] && [ "$app" = gin ]; then
  bin="$dir/gin-peer"
  (cd "$root/contrib/scaleout" && go build -o "$bin" ./peers/gin)
elif [ -z "$bin" ] && [ "$app" = covet-min ]; then
  bin="$dir/covet-min-peer"
  (cd "$root/contrib/scaleout" && go build -o "$bin" ./peers/covetmin)
fi

# A fresh database per run.
db="scaleout_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
psql "$pg/postgres" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null

# A private Redis: faults (CLIENT PAUSE, restart) hit this topology only.
redis_port=$((port + 100))
redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
  --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

secret="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
ports=""
for i in $(seq 1 "$n"); do ports="$ports $((port + i))"; done
cat > topology.env <<ENV
SCALEOUT_DIR=$dir
SCALEOUT_BINARY=$bin
SCALEOUT_APP=$app
SCALEOUT_PEERS=$here/../peers
SCALEOUT_INSTANCES=$n
SCALEOUT_LB=http://127.0.0.1:$port
SCALEOUT_INSTANCE_PORTS="${ports# }"
SCALEOUT_DB=$db
SCALEOUT_PG=$pg
DATABASE_URL=$pg/$db?sslmode=disable
REDIS_URL=redis://127.0.0.1:$redis_port/0
SCALEOUT_REDIS_PORT=$redis_port
SCALEOUT_HAPROXY_SOCKET=$dir/haproxy.sock
TASKBOARD_SECRET=$secret
ENV

# Migrate once, before the instances start (they would race to).
if [ "$app" = covet ]; then
  (set -a; . ./topology.env; set +a; COVET_ENV=production TASKBOARD_ALLOWED_HOSTS=127.0.0.1 "$bin" migrate up >"$dir/migrate.log" 2>&1)
else
  psql "$pg/$db" -qAtX -v ON_ERROR_STOP=1 -f "$here/../peers/schema.sql" >"$dir/migrate.log" 2>&1
fi

# HAProxy: round robin over the instances, health checks on /readyz every
# second (down after 2 failures, so well inside the instances' 3 s drain
# delay), a refused connection retried on another instance, WebSocket and
# SSE passed through (tunnel timeout), X-Forwarded-For appended (the
# instances trust 127.0.0.1 only).
{
  cat <<CFG
global
  maxconn 4096
  stats socket $dir/haproxy.sock mode 600 level admin
  pidfile $dir/haproxy.pid

defaults
  mode http
  log global
  option forwardfor
  option redispatch
  retries 3
  # Only a request that never reached an instance is retried: an empty
  # response may come from an instance killed after it committed a write,
  # and retrying it elsewhere stored that write twice (the harness saw it).
  retry-on conn-failure
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 10s
  timeout tunnel 1h
  # By default a fresh connection to an instance per request: an instance
  # that drains closes its idle keep-alive connections, and a request HAProxy
  # sent on one of them as it closed would fail where a refused connect is
  # retried. Runs without faults (the comparison) set safe: connections kept.
  http-reuse $reuse
  timeout client-fin 5s

frontend web
  bind 127.0.0.1:$port
  http-request set-header X-Forwarded-Proto http
  default_backend taskboard

backend taskboard
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  # Probes that answer slowly on a loaded machine are not failures (timeout
  # check); a draining instance answers 503 at once, so it is out within
  # inter + fastinter, well inside its drain delay.
  timeout check 3s
  default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 2
  timeout server 1h
CFG
  i=1
  for p in $ports; do
    echo "  server app$i 127.0.0.1:$p check"
    i=$((i + 1))
  done
} > haproxy.cfg
haproxy -c -f haproxy.cfg >/dev/null
haproxy -D -f haproxy.cfg

for i in $(seq 1 "$n"); do "$here/instance.sh" start "$i"; done
for i in $(seq 1 "$n"); do "$here/instance.sh" wait "$i"; done
echo "up.sh: http://127.0.0.1:$port -> $n $app instances; database $db; state in $dir"
