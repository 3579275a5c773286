#!/usr/bin/env bash
# down.sh stops what up.sh started (state in $SCALEOUT_DIR, default
# /tmp/scaleout): the instances, HAProxy and the private Redis; drops the
# run's database and removes the state directory. Safe to run twice.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${SCALEOUT_DIR:-/tmp/scaleout}"
[ -f "$dir/topology.env" ] || { rm -rf "$dir"; exit 0; }
set -a
# shellcheck disable=SC1091
. "$dir/topology.env"
set +a
for i in $(seq 1 "$SCALEOUT_INSTANCES"); do "$here/instance.sh" kill "$i"; done
for f in haproxy.pid redis.pid; do
  if [ -f "$dir/$f" ]; then
    pid="$(cat "$dir/$f")"
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
done
psql "$SCALEOUT_PG/postgres" -qAt -c "DROP DATABASE IF EXISTS $SCALEOUT_DB WITH (FORCE)" >/dev/null
if [ -z "${SCALEOUT_KEEP_LOGS:-}" ]; then rm -rf "$dir"; else rm -f "$dir/topology.env"; fi
