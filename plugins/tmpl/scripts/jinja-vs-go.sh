#!/usr/bin/env bash
# Side-by-side callgrind instruction counts per render of the benchmark page
# (layout, 50 items through a partial, autoescaping): Jinja2
# (scripts/jinja-render.py, as Flask's render_template renders) and the
# tmpl engine (BenchmarkRender/tmpl). (I(2N) - I(N)) / N cancels start-up.
# Run from plugins/tmpl. Needs valgrind, python3 with jinja2.
set -euo pipefail
n=${1:-40}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=$(python3 -c 'import sys; print(sys.executable)') # the interpreter itself, not a pyenv shim
count() {
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$@" >/dev/null 2>"$tmp/err"
  awk '/^(summary|totals):/ {print $2; exit}' "$tmp/cg"
}
a=$(count "$py" scripts/jinja-render.py "$n")
b=$(count "$py" scripts/jinja-render.py $((2 * n)))
jinja=$(((b - a) / n))
echo "jinja2 ($(python3 -c 'import importlib.metadata as m; print(m.version("jinja2"))')): $jinja instructions/render"
go_line=$(../../scripts/instr-per-op.sh . 'Render/tmpl$' 100 2>/dev/null | tail -1)
goi=$(echo "$go_line" | awk '{print $2}')
echo "tmpl: $goi instructions/render"
python3 -c "print('jinja2 / tmpl = %.2f' % ($jinja / $goi))"

a=$(count "$py" scripts/flask-serve.py "$n")
b=$(count "$py" scripts/flask-serve.py $((2 * n)))
flask=$(((b - a) / n))
echo "flask ($(python3 -c 'import importlib.metadata as m; print(m.version("flask"))')) serving in-process: $flask instructions/request"
serve_line=$(../../scripts/instr-per-op.sh . 'ServePage/tmpl$' 100 2>/dev/null | tail -1)
gs=$(echo "$serve_line" | awk '{print $2}')
echo "covet + tmpl serving in-process: $gs instructions/request"
python3 -c "print('flask / covet = %.2f' % ($flask / $gs))"
