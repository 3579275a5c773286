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
  if ! (cd "$dir" && go vet ./... && go test -count=1 ${COVET_TEST_FLAGS:-} ./...); then
    echo "--- FAIL: $rel"
    status=1
  fi
done
exit $status
