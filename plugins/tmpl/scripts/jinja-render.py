#!/usr/bin/env python3
"""Renders the benchmark page (testdata/jinja, the same page as
testdata/bench) N times with Jinja2, autoescaping on, as Flask's
render_template does. For the side-by-side count of instructions:

    scripts/jinja-vs-go.sh
"""
import os, sys
import jinja2

here = os.path.dirname(os.path.abspath(__file__))
env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(here, "..", "testdata", "jinja")),
                         autoescape=True)
page = env.get_template("tasks/index.html")
data = {"user": "ana@example.com", "query": "write <docs>",
        "tasks": [{"id": i, "title": 'Task %d: review "pull request" & merge' % i, "priority": i % 5 + 1,
                   "done": i % 3 == 0, "tags": ["backend", "review"]} for i in range(1, 51)]}
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
out = ""
for _ in range(n):
    out = page.render(**data)
if os.environ.get("PRINT"):
    sys.stdout.write(out)
