#!/usr/bin/env bash
# Instructions per benchmark op, counted by callgrind: deterministic on the
# shared machines where wall-clock benchmarks vary by ±30 %.
#
#   scripts/instr-per-op.sh ./core 'Router/table=GitHubStatic/router=covet$' 20000
#
# Runs the benchmark with N and 2N iterations under valgrind and prints
# (I(2N) - I(N)) / N, so set-up cancels out. GOGC=off keeps the collector's
# background work (which callgrind counts too) out of the figure;
# GODEBUG=asyncpreemptoff=1 because callgrind mishandles Go's preemption signals,
# and cpu.rdtscp=off because valgrind's synthetic CPU claims RDTSCP where the
# host lacks it and then dies on it with SIGILL (see tools/bench/callgrind.GODEBUG).
set -euo pipefail
pkg=$1 bench=$2 n=${3:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$pkg" && CGO_ENABLED=0 go test -c -o "$tmp/bench.test" .)
run() {
  # From the package's directory, as go test runs it (tests read testdata/).
  if ! (cd "$pkg" && GOGC=off GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" \
    "$tmp/bench.test" -test.run '^$' -test.bench "$bench" -test.benchtime "${1}x" -test.cpu 1 >/dev/null 2>"$tmp/err.$1"); then
    echo "instr-per-op: the benchmark failed under valgrind; its output ends:" >&2
    grep -v '^==' "$tmp/err.$1" | tail -25 >&2
    exit 1
  fi
  awk '/^(summary|totals):/ {print $2; exit}' "$tmp/cg.$1"
}
a=$(run "$n")
b=$(run $((2 * n)))
echo "$bench: $(((b - a) / n)) instructions/op"
