"""JWT access tokens (``typ``/``tid``/``sid`` claims) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from shared.errors import Unauthorized
from shared.settings import Settings

ACCESS_TTL = {
    "staff": timedelta(minutes=15),
    "worker": timedelta(hours=12),
    "client": timedelta(days=30),  # a customer's account cookie (SPEC §5.13)
}
REFRESH_TTL = timedelta(days=14)
TOKEN_TYPES = frozenset({"staff", "worker", "operator", "client"})
_ALG = "HS256"


def issue(
    settings: Settings,
    *,
    typ: str,
    sub: str,
    tid: str | None,
    sid: str,
    ttl: timedelta | None = None,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    now = now or datetime.now(UTC)
    exp = now + (ttl or ACCESS_TTL[typ])
    claims = {"sub": sub, "tid": tid, "sid": sid, "typ": typ, "iat": now, "exp": exp}
    return jwt.encode(claims, settings.jwt_secret, algorithm=_ALG), exp


def decode(settings: Settings, token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[_ALG],
            options={"require": ["sub", "sid", "typ", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.", code="unauthorized") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The access token is not valid.") from exc
    if claims.get("typ") not in TOKEN_TYPES:
        raise Unauthorized("The access token is not valid.")
    return claims


def new_refresh_token() -> tuple[str, str]:
    """A random refresh token and the SHA-256 hex digest that is stored in its place."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
