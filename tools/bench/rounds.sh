#!/usr/bin/env bash
# Runs the typed-endpoint benchmark in interleaved rounds (every implementation
# once per round, so machine noise spreads over all of them) and summarizes
# with benchstat. Usage: ./rounds.sh [rounds] [benchtime]   (default 10 0.4s)
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-10}
benchtime=${2:-0.4s}
out=${OUT:-/tmp/covet-typed-rounds.txt}
go test -c -o /tmp/covet-typed.test ./typed/
: > "$out"
for i in $(seq 1 "$rounds"); do
	/tmp/covet-typed.test -test.run '^$' -test.bench Endpoint -test.cpu 1 -test.benchmem -test.benchtime "$benchtime" >> "$out"
done
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl "$out"
