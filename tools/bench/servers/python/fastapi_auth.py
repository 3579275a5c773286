"""The authenticated endpoint on FastAPI, as its security tutorial teaches:
OAuth2PasswordBearer reads the bearer token, PyJWT (Debian python3-jwt)
verifies it (HS256; exp required, iss and aud checked), a dependency returns
the user. Served like the other FastAPI app:

    python3 -m uvicorn fastapi_auth:app --workers 1 --loop uvloop --http httptools --no-access-log

The token comes from `authbench -token` (contrib/examples/authbench: the same
secret, issuer and audience).
"""
import jwt
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer

SECRET = "covet-bench-secret-at-least-32-bytes!"
ISSUER = "bench"
AUDIENCE = "bench-api"

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


async def current_user(token: str = Depends(oauth2_scheme)) -> str:
    try:
        claims = jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": ["exp", "iat", "sub"]},
            leeway=30,
        )
    except jwt.PyJWTError:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return claims["sub"]


@app.get("/me")
async def me(user: str = Depends(current_user)):
    return {"id": user}
