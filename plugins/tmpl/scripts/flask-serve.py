#!/usr/bin/env python3
"""Serves the benchmark page N times in-process through Flask (routing,
request and response objects, render_template with Jinja2), with Flask's
test client: no sockets, as BenchmarkServePage does for Covet. Used by
scripts/jinja-vs-go.sh."""
import os, sys
from flask import Flask, render_template

here = os.path.dirname(os.path.abspath(__file__))
app = Flask(__name__, template_folder=os.path.join(here, "..", "testdata", "jinja"))
data = {"user": "ana@example.com", "query": "write <docs>",
        "tasks": [{"id": i, "title": 'Task %d: review "pull request" & merge' % i, "priority": i % 5 + 1,
                   "done": i % 3 == 0, "tags": ["backend", "review"]} for i in range(1, 51)]}

@app.get("/tasks")
def tasks():
    return render_template("tasks/index.html", **data)

client = app.test_client()
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
for _ in range(n):
    r = client.get("/tasks")
    assert r.status_code == 200 and b"task-50" in r.data
