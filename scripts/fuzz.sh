#!/usr/bin/env bash
# Long fuzzing mode: runs every fuzz target of every module for FUZZTIME
# each (default 10m), one after the other (the fuzzer uses all cores). A
# crasher fails the run; `go test` writes it to the package's
# testdata/fuzz/<Target>/ directory: fix the bug and commit the file as seed
# corpus, so every later `go test` replays it.
#
#   scripts/fuzz.sh                        # every target, 10 minutes each
#   FUZZTIME=2m scripts/fuzz.sh core       # the targets of one module
#   FUZZTIME=30s scripts/fuzz.sh core FuzzCookies
#   FUZZPARALLEL=1 nice -n 19 scripts/fuzz.sh  # one worker, on a shared machine
#
# FUZZPARALLEL sets go test's -parallel (fuzzing workers; default GOMAXPROCS).
# The run uses -timeout 0: go test's default 10-minute timeout would
# otherwise kill a 10-minute fuzzing run just before it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
fuzztime=${FUZZTIME:-10m}
parallel=()
if [ -n "${FUZZPARALLEL:-}" ]; then parallel=(-parallel "$FUZZPARALLEL"); fi
only_mod=${1:-}
only_target=${2:-}

status=0
for dir in $(go list -m -f '{{.Dir}}'); do
  rel=${dir#"$root"/}
  if [ -n "$only_mod" ] && [ "$rel" != "$only_mod" ]; then continue; fi
  # Packages of the module that hold fuzz targets, and their targets.
  while read -r pkg pdir; do
    for target in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$pdir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sort -u); do
      if [ -n "$only_target" ] && [ "$target" != "$only_target" ]; then continue; fi
      echo "=== $rel $pkg $target ($fuzztime)"
      if ! (cd "$pdir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -timeout 0 "${parallel[@]}" .); then
        echo "--- FAIL: $pkg $target (crasher in $pdir/testdata/fuzz/$target)"
        status=1
      fi
    done
  done < <(cd "$dir" && go list -f '{{.ImportPath}} {{.Dir}}' ./...)
done
exit $status
