#!/usr/bin/env bash
# Runs every module's checks and tests: gofmt, go vet and go test in each
# module of the workspace (go.work), so a new module is picked up without
# editing this script. Options for long runs are listed in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go') 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi

status=0
for dir in $(go list -m -f '{{.Dir}}'); do
  rel=${dir#"$root"/}
  echo "=== $rel"
  if ! (cd "$dir" && go vet ./... && go test -count=1 -timeout "${COVET_TEST_TIMEOUT:-20m}" ${COVET_TEST_FLAGS:-} ./...); then
    echo "--- FAIL: $rel"
    status=1
  fi
done
# The race detector over the modules whose code runs concurrently the most
# (core's pooled contexts, timers and shutdown; the limiter and cache
# backends). COVET_RACE_MODULES="all" runs it over every module (about 20
# minutes on 2 cores); "none" skips it.
race=${COVET_RACE_MODULES:-core plugins/ratelimit plugins/cache plugins/settings}
if [ "$race" = all ]; then race=$(go list -m -f '{{.Dir}}' | sed "s#^$root/##"); fi
if [ "$race" != none ]; then
  for rel in $race; do
    echo "=== $rel (-race)"
    if ! (cd "$root/$rel" && go test -race -count=1 ./...); then
      echo "--- FAIL: $rel (-race)"
      status=1
    fi
  done
fi
# Static analysis (staticcheck, gosec, govulncheck when reachable) over
# every module: scripts/lint.sh. COVET_LINT=0 skips it.
if [ "${COVET_LINT:-1}" != 0 ]; then
  echo "=== lint"
  if ! scripts/lint.sh; then
    echo "--- FAIL: lint"
    status=1
  fi
fi
exit $status
