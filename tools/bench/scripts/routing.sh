#!/usr/bin/env bash
# Router micro-benchmarks in interleaved passes (every router and table once
# per pass, so machine noise spreads over all of them), pinned to CPU 0 with
# GOMAXPROCS=1, then benchstat with one column per router.
# Usage: scripts/routing.sh [passes] [benchtime]   (default 6 0.5s)
set -euo pipefail
cd "$(dirname "$0")/.."
passes=${1:-6}
benchtime=${2:-0.5s}
out=${OUT:-/tmp/covet-routing.txt}
go test -c -o /tmp/covet-routing.test ./routing/
pin=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then pin=(taskset -c 0); fi
: > "$out"
for i in $(seq 1 "$passes"); do
	GOMAXPROCS=1 "${pin[@]}" /tmp/covet-routing.test -test.run '^$' -test.bench . -test.cpu 1 -test.benchmem -test.benchtime "$benchtime" >> "$out"
done
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /router "$out"
