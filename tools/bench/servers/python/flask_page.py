"""The page benchmark on Flask + Jinja2 (Debian python3-flask,
python3-jinja2), served by gunicorn as Flask's deployment docs show:
    gunicorn -w 1 -k sync flask_page:app
    gunicorn -w 1 -k gthread --threads 4 flask_page:app
GET /page renders templates/tasks/index.html (extends layouts/base.html,
includes partials/task.html per task; autoescaping on, as Flask sets it for
.html) with the same data as tools/bench/page.New.
"""
from flask import Flask, render_template

app = Flask(__name__)
DATA = {
    "user": "ana@example.com",
    "query": "write <docs>",
    "tasks": [{"id": i, "title": 'Task %d: review "pull request" & merge' % i, "priority": i % 5 + 1,
               "done": i % 3 == 0, "tags": ["backend", "review"]} for i in range(1, 51)],
}


@app.get("/page")
def page():
    return render_template("tasks/index.html", **DATA)
