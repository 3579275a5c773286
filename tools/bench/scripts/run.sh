#!/usr/bin/env bash
# The full load benchmark: installs the Debian packages it needs, then runs
# every server through wrk in interleaved rounds and writes out/report.md and
# out/chart.png. About 25 minutes with the defaults (9 servers × 6 endpoints
# × 5 rounds × (1 s warm-up + 3 s measured + start/stop)). Flags are passed to
# cmd/runner, for example: scripts/run.sh -rounds 1 -servers covet,httprouter
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec go run ./cmd/runner -out out "$@"
