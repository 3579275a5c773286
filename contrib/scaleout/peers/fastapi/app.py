"""The FastAPI peer of the scale-out comparison.

The taskboard's JSON API part the harness drives (sign-up, password token,
list, get and create tasks, /readyz) on PostgreSQL through asyncpg, written
the way a FastAPI user would. scripts/instance.sh runs one uvicorn process
per instance when SCALEOUT_APP=fastapi (HAProxy in front of three: the
"uvicorn, 3 workers" of the issue, balanced by the proxy):

    DATABASE_URL=postgres://... python3 -m uvicorn app:app --app-dir contrib/scaleout/peers/fastapi --port 8081
"""
import hashlib
import os
import secrets
from datetime import datetime
from typing import List, Optional

import asyncpg
from fastapi import FastAPI, Form, Header, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

app = FastAPI()
pool: Optional[asyncpg.Pool] = None

TASK_COLS = "id, title, priority, tags, status, owner_id, created_at"


def digest(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


@app.on_event("startup")
async def startup() -> None:
    global pool
    # The pool size every app of the comparison gets (PEER_DB_CONNS, set by
    # scripts/instance.sh).
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2,
                                     max_size=int(os.environ.get("PEER_DB_CONNS", "20")))


class UserIn(BaseModel):
    name: str
    email: str
    password: str = Field(min_length=8)


class TaskIn(BaseModel):
    title: str = Field(max_length=200)
    priority: int = Field(1, ge=0, le=5)
    tags: List[str] = []


class Task(BaseModel):
    id: int
    title: str
    priority: int
    tags: List[str]
    status: str
    owner_id: int
    created_at: datetime


@app.get("/readyz")
async def readyz():
    async with pool.acquire() as con:
        await con.fetchval("SELECT 1")
    return {"status": "ok"}


@app.post("/api/v1/users", status_code=201)
async def create_user(u: UserIn):
    uid = await pool.fetchval(
        "INSERT INTO peer_users (email, name, password_hash) VALUES ($1, $2, $3) "
        "ON CONFLICT (email) DO NOTHING RETURNING id", u.email, u.name, digest(u.password))
    if uid is None:
        raise HTTPException(409, "email taken")
    return {"id": uid, "email": u.email, "name": u.name}


@app.post("/api/v1/auth/token")
async def token(grant_type: str = Form(...), username: str = Form(""), password: str = Form("")):
    if grant_type != "password":
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    uid = await pool.fetchval("SELECT id FROM peer_users WHERE email = $1 AND password_hash = $2",
                              username, digest(password))
    if uid is None:
        return JSONResponse({"error": "invalid_grant"}, status_code=400)
    tok = secrets.token_hex(32)
    await pool.execute("INSERT INTO peer_tokens (token, user_id) VALUES ($1, $2)", digest(tok), uid)
    return {"access_token": tok, "token_type": "Bearer"}


@app.get("/api/v1/tasks")
async def list_tasks(limit: int = Query(20, ge=1, le=100)):
    rows = await pool.fetch(f"SELECT {TASK_COLS} FROM tasks ORDER BY id DESC LIMIT $1", limit)
    return {"items": [Task(**dict(r)) for r in rows]}


@app.get("/api/v1/tasks/{task_id}", response_model=Task)
async def get_task(task_id: int):
    row = await pool.fetchrow(f"SELECT {TASK_COLS} FROM tasks WHERE id = $1", task_id)
    if row is None:
        raise HTTPException(404, "no such task")
    return Task(**dict(row))


@app.post("/api/v1/tasks", status_code=201, response_model=Task)
async def create_task(t: TaskIn, authorization: str = Header("")):
    if not authorization.startswith("Bearer "):
        raise HTTPException(401, "sign in")
    owner = await pool.fetchval("SELECT user_id FROM peer_tokens WHERE token = $1", digest(authorization[7:]))
    if owner is None:
        raise HTTPException(401, "sign in")
    row = await pool.fetchrow(
        f"INSERT INTO tasks (title, priority, tags, owner_id) VALUES ($1, $2, $3, $4) RETURNING {TASK_COLS}",
        t.title, t.priority, t.tags, owner)
    return Task(**dict(row))
