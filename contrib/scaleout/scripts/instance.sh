#!/usr/bin/env bash
# instance.sh ACTION I: one taskboard instance of the topology up.sh started
# (state in $SCALEOUT_DIR, default /tmp/scaleout).
#   start  starts instance I (its log: instance-I.log, pid: instance-I.pid)
#   wait   waits until its /readyz answers 200 (60 s at most)
#   term   SIGTERM (graceful: drain, then exit) and waits for the exit
#   kill   SIGKILL
set -euo pipefail
action="$1"
i="$2"
dir="${SCALEOUT_DIR:-/tmp/scaleout}"
set -a
# shellcheck disable=SC1091
. "$dir/topology.env"
set +a
read -r -a ports <<<"$SCALEOUT_INSTANCE_PORTS"
port="${ports[$((i - 1))]}"
pidf="$dir/instance-$i.pid"
# Every app's database pool: this many connections per instance
# (SCALEOUT_DB_CONNS, default 10: 3 instances stay well under a shared
# server's max_connections of 100).
conns="${SCALEOUT_DB_CONNS:-10}"
# Every Go app's GOMAXPROCS (covet, covet-min, gin): each instance's share
# of the machine's cores, at least 1 (SCALEOUT_GOMAXPROCS; 0: Go's default,
# every core). Three instances on two cores get 1 each, as a CPU limit or
# request of one core would give them in a deployment (deploy/k8s sets it
# from the container's CPU request): a uvicorn worker is one thread too.
procs="${SCALEOUT_GOMAXPROCS:-}"
if [ -z "$procs" ]; then
  procs=$(($(nproc) / ${SCALEOUT_INSTANCES:-3}))
  [ "$procs" -ge 1 ] || procs=1
fi
goenv=()
[ "$procs" = 0 ] || goenv=("GOMAXPROCS=$procs")
case "$action" in
start)
  case "${SCALEOUT_APP:-covet}" in
  gin | covet-min)
    env "${goenv[@]}" PEER_ADDR="127.0.0.1:$port" PEER_DB_CONNS="$conns" setsid "$SCALEOUT_BINARY" >>"$dir/instance-$i.log" 2>&1 </dev/null &
    echo $! >"$pidf"
    exit 0
    ;;
  fastapi)
    PEER_DB_CONNS="$conns" setsid "${SCALEOUT_PYTHON:-/usr/bin/python3}" -m uvicorn app:app --app-dir "$SCALEOUT_PEERS/fastapi" --host 127.0.0.1 --port "$port" \
      --workers 1 --no-access-log --log-level warning >>"$dir/instance-$i.log" 2>&1 </dev/null &
    echo $! >"$pidf"
    exit 0
    ;;
  esac
  env "${goenv[@]}" COVET_ENV=production TASKBOARD_ADDR="127.0.0.1:$port" TASKBOARD_ALLOWED_HOSTS="127.0.0.1,localhost" \
    TASKBOARD_FRONTEND_ORIGIN="" TASKBOARD_TRUSTED_PROXIES=127.0.0.1 TASKBOARD_DRAIN_DELAY=3s \
    TASKBOARD_SHUTDOWN_TIMEOUT=20s TASKBOARD_DB_MAX_CONNS="$conns" \
    setsid "$SCALEOUT_BINARY" >>"$dir/instance-$i.log" 2>&1 </dev/null &
  echo $! >"$pidf"
  ;;
wait)
  for _ in $(seq 600); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then exit 0; fi
    sleep 0.1
  done
  echo "instance.sh: instance $i (port $port) not ready after 60 s; see $dir/instance-$i.log" >&2
  exit 1
  ;;
term | kill)
  [ -f "$pidf" ] || exit 0
  pid="$(cat "$pidf")"
  sig=TERM
  [ "$action" = kill ] && sig=KILL
  kill -s "$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$pidf"
  ;;
*)
  echo "instance.sh: unknown action $action (start, wait, term, kill)" >&2
  exit 2
  ;;
esac
