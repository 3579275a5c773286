"""The benchmark app on FastAPI (Debian python3-fastapi, pydantic 1.10).

Served by uvicorn with one worker, uvloop and httptools:
    python3 -m uvicorn fastapi_app:app --workers 1 --loop uvloop --http httptools --no-access-log
Typical FastAPI code: async handlers, a pydantic model for /echo, UploadFile
for /upload, and a mounted /api sub-application with CORSMiddleware and
@app.middleware functions for the request ID, the access log (to
/dev/null) and the security headers; Starlette's ServerErrorMiddleware turns
exceptions into 500s.
"""
import logging
import os
import shutil
import tempfile
import time
import uuid
from typing import List, Literal, Optional

from fastapi import FastAPI, File, Request, UploadFile
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


@api.middleware("http")
async def security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    return response


api.add_middleware(CORSMiddleware, allow_origins=[ORIGIN])


@api.middleware("http")
async def log_requests(request: Request, call_next):
    start = time.perf_counter()
    response = await call_next(request)
    access_log.info(
        "request method=%s path=%s status=%d duration=%.6f request_id=%s",
        request.method, request.url.path, response.status_code,
        time.perf_counter() - start, request.state.request_id,
    )
    return response


@api.middleware("http")
async def request_id(request: Request, call_next):
    rid = request.headers.get("x-request-id") or uuid.uuid4().hex
    request.state.request_id = rid
    response = await call_next(request)
    response.headers["X-Request-ID"] = rid
    return response


@api.get("/users/{id}")
async def api_user(id: int):
    return {"id": id, "name": f"user-{id}"}


@api.get("/panic")
async def api_panic():
    raise RuntimeError("boom")


app.mount("/api", api)
