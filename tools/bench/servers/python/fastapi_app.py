"""The benchmark app on FastAPI (Debian python3-fastapi, pydantic 1.10).

Served by uvicorn with one worker, uvloop and httptools:
    python3 -m uvicorn fastapi_app:app --workers 1 --loop uvloop --http httptools --no-access-log
Typical FastAPI code: async handlers, a pydantic model for /echo, UploadFile
for /upload, and a mounted /api sub-application with CORSMiddleware and a
pure ASGI middleware for the request ID, the access log (to /dev/null) and
the security headers; Starlette's ServerErrorMiddleware turns exceptions into
500s.
"""
import logging
import os
import shutil
import tempfile
import time
import uuid
from typing import List, Literal, Optional

from fastapi import FastAPI, File, UploadFile
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, confloat, conint, conlist, constr

ORIGIN = "http://localhost:3000"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

app = FastAPI()


class Address(BaseModel):
    city: constr(min_length=1, max_length=64)
    zip: constr(regex=r"^[0-9]{5}$")


class EchoBody(BaseModel):
    name: constr(min_length=2, max_length=64)
    email: constr(regex=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    age: conint(ge=0, le=150)
    score: confloat(ge=0, le=100)
    active: bool
    kind: Literal["book", "movie", "music"]
    tags: conlist(str, max_items=5)
    address: Address
    sku: constr(min_length=3, max_length=12)
    description: Optional[constr(max_length=256)] = None


class Echo2Body(BaseModel):
    name: constr(min_length=2, max_length=64)
    age: conint(ge=0, le=150)


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext():
    return "Hello, World!"


@app.get("/json")
async def json_():
    return {"message": "Hello, World!"}


@app.get("/users/{id}")
async def user(id: int):
    return {"id": id, "name": f"user-{id}"}


@app.post("/echo")
async def echo(body: EchoBody):
    return body.dict(exclude_none=True)


@app.post("/echo2")
async def echo2(body: Echo2Body):
    return body.dict()


@app.post("/upload")
async def upload(file: UploadFile = File(...)):
    with tempfile.NamedTemporaryFile(prefix="bench-upload-") as tmp:
        shutil.copyfileobj(file.file, tmp)
        size = tmp.tell()
    return {"filename": file.filename, "size": size}


api = FastAPI()
access_log = logging.getLogger("bench.access")
access_log.addHandler(logging.FileHandler(os.devnull))
access_log.setLevel(logging.INFO)
access_log.propagate = False


class RequestContext:
    """Pure ASGI middleware: request ID, access log and security headers.

    Written as plain ASGI rather than with @app.middleware("http"): in this
    Starlette (0.26) each BaseHTTPMiddleware layer costs milliseconds per
    request (three such layers served ~200 req/s here), so a FastAPI user who
    cares about speed writes them this way.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for k, v in scope["headers"]:
            if k == b"x-request-id":
                rid = v.decode("latin-1")
                break
        if not rid:
            rid = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                headers.extend(SECURITY_HEADER_LIST)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            access_log.info(
                "request method=%s path=%s status=%d duration=%.6f request_id=%s",
                scope["method"], scope["path"], status, time.perf_counter() - start, rid,
            )


SECURITY_HEADER_LIST = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
# Added last, so outermost: the request ID and the access log see everything,
# CORS answers inside them.
api.add_middleware(CORSMiddleware, allow_origins=[ORIGIN])
api.add_middleware(RequestContext)


@api.get("/users/{id}")
async def api_user(id: int):
    return {"id": id, "name": f"user-{id}"}


@api.get("/panic")
async def api_panic():
    raise RuntimeError("boom")


app.mount("/api", api)
