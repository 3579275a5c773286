"""The benchmark app on Flask (Debian python3-flask 2.2), served by gunicorn
with one sync worker:
    gunicorn -w 1 -k sync flask_app:app
Typical Flask code: manual parsing and validation, request.files for the
upload, and an /api blueprint with flask-cors and before/after_request hooks
for the request ID, the access log (to /dev/null) and the security headers;
Flask answers unhandled exceptions with 500.
"""
import logging
import os
import re
import tempfile
import time
import uuid

from flask import Blueprint, Flask, g, jsonify, request
from flask_cors import CORS

ORIGIN = "http://localhost:3000"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ZIP = re.compile(r"^[0-9]{5}$")

app = Flask(__name__)


@app.get("/plaintext")
def plaintext():
    return "Hello, World!", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.get("/json")
def json_():
    return jsonify(message="Hello, World!")


def user_answer(id):
    try:
        n = int(id)
    except ValueError:
        return jsonify(error="id must be an integer"), 400
    return jsonify(id=n, name=f"user-{n}")


@app.get("/users/<id>")
def user(id):
    return user_answer(id)


def _str(v, lo, hi):
    return isinstance(v, str) and lo <= len(v) <= hi


def _num(v, lo, hi, integer=False):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    if integer and not isinstance(v, int):
        return False
    return lo <= v <= hi


def validate(b):
    errors = []
    if not isinstance(b, dict):
        return ["body must be an object"]
    if not _str(b.get("name"), 2, 64):
        errors.append("name")
    if not (isinstance(b.get("email"), str) and EMAIL.match(b["email"])):
        errors.append("email")
    if not _num(b.get("age"), 0, 150, integer=True):
        errors.append("age")
    if not _num(b.get("score"), 0, 100):
        errors.append("score")
    if not isinstance(b.get("active"), bool):
        errors.append("active")
    if b.get("kind") not in ("book", "movie", "music"):
        errors.append("kind")
    tags = b.get("tags")
    if not (isinstance(tags, list) and len(tags) <= 5 and all(isinstance(t, str) for t in tags)):
        errors.append("tags")
    addr = b.get("address")
    if not (isinstance(addr, dict) and _str(addr.get("city"), 1, 64)
            and isinstance(addr.get("zip"), str) and ZIP.match(addr["zip"])):
        errors.append("address")
    if not _str(b.get("sku"), 3, 12):
        errors.append("sku")
    if "description" in b and not _str(b["description"], 0, 256):
        errors.append("description")
    return errors


@app.post("/echo")
def echo():
    b = request.get_json(silent=True)
    if b is None:
        return jsonify(error="malformed JSON"), 400
    errors = validate(b)
    if errors:
        return jsonify(error="invalid fields: " + ", ".join(errors)), 422
    return jsonify(b)


@app.post("/echo2")
def echo2():
    b = request.get_json(silent=True)
    if b is None:
        return jsonify(error="malformed JSON"), 400
    if not isinstance(b, dict):
        return jsonify(error="body must be an object"), 422
    errors = [f for f, ok in (("name", _str(b.get("name"), 2, 64)), ("age", _num(b.get("age"), 0, 150, integer=True))) if not ok]
    if errors:
        return jsonify(error="invalid fields: " + ", ".join(errors)), 422
    return jsonify(b)


@app.post("/upload")
def upload():
    f = request.files.get("file")
    if f is None:
        return jsonify(error="no file part named file"), 400
    with tempfile.NamedTemporaryFile(prefix="bench-upload-") as tmp:
        f.save(tmp)
        size = tmp.tell()
    return jsonify(filename=f.filename, size=size)


api = Blueprint("api", __name__, url_prefix="/api")
CORS(api, origins=[ORIGIN])
access_log = logging.getLogger("bench.access")
access_log.addHandler(logging.FileHandler(os.devnull))
access_log.setLevel(logging.INFO)
access_log.propagate = False


@api.before_request
def before():
    g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    g.start = time.perf_counter()


@api.after_request
def after(response):
    response.headers["X-Request-ID"] = g.request_id
    response.headers.update(SECURITY_HEADERS)
    access_log.info(
        "request method=%s path=%s status=%d duration=%.6f request_id=%s",
        request.method, request.path, response.status_code,
        time.perf_counter() - g.start, g.request_id,
    )
    return response


@api.get("/users/<id>")
def api_user(id):
    return user_answer(id)


@api.get("/panic")
def api_panic():
    raise RuntimeError("boom")


app.register_blueprint(api)
