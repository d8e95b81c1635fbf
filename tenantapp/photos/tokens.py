"""Signed photo download tokens: HMAC (itsdangerous), 60 s, bound to tenant, booking and photo.

A single-use token carries a nonce; the first download marks it in Redis (``SET NX``), so a second
use answers 410. The signer's clock is a module function so tests can move time.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from shared.errors import AppError, Unauthorized
from shared.runtime import current_runtime
from shared.tenancy import current_tenant

SALT = "cleanplane.photo-download"
TTL_SECONDS = 60


class Gone(AppError):
    status, code, title = 410, "gone", "Gone"


def _clock() -> float:
    return time.time()


class _Signer(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(_clock())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.secret_key, salt=SALT, signer=_Signer)


def mint(booking_id: int, photo_id: uuid.UUID, *, single_use: bool = False) -> tuple[str, datetime]:
    """A token for one photo of one booking of the current tenant, and when it expires."""
    payload = {
        "t": str(current_tenant().id),
        "b": booking_id,
        "p": str(photo_id),
        "n": secrets.token_urlsafe(12) if single_use else None,
    }
    issued = int(_clock())
    token = _serializer().dumps(payload)
    return token, datetime.fromtimestamp(issued + TTL_SECONDS, UTC)


def verify(token: str | None) -> tuple[int, uuid.UUID, str | None]:
    """``(booking_id, photo_id, nonce)`` for a valid token of this tenant, else 401."""
    try:
        data = _serializer().loads(token or "", max_age=TTL_SECONDS)
        if not isinstance(data, dict) or data.get("t") != str(current_tenant().id):
            raise BadSignature("token of another tenant")
        return int(data["b"]), uuid.UUID(data["p"]), data.get("n")
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise Unauthorized("This download link is not valid or has expired.") from exc


def spend(nonce: str) -> None:
    """Mark a single-use token used; a second use → 410."""
    key = f"photos:download-used:{current_tenant().id}:{nonce}"
    ttl = int(timedelta(seconds=TTL_SECONDS * 2).total_seconds())
    if not current_runtime().redis.set(key, "1", nx=True, ex=ttl):
        raise Gone("This single-use download link has already been used.")
