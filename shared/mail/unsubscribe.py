"""Unsubscribe tokens: HMAC-signed (itsdangerous), scoped to one tenant, valid for 7 days."""

from __future__ import annotations

import time
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

MAX_AGE_SECONDS = 7 * 24 * 3600


class InvalidUnsubscribeToken(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(secret: str, scope: str, now: datetime | None) -> URLSafeTimedSerializer:
    clock = (lambda: now.timestamp()) if now is not None else time.time

    class _Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return URLSafeTimedSerializer(secret, salt=f"unsubscribe:{scope}", signer=_Signer)


def make_token(secret: str, scope: str, email: str, now: datetime | None = None) -> str:
    """A token naming ``email`` for the tenant ``scope`` (tenant id); other tenants reject it."""
    return _serializer(secret, scope, now).dumps({"e": email.strip().lower()})


def read_token(secret: str, scope: str, token: str, now: datetime | None = None) -> str:
    """The e-mail address in ``token``; raises ``InvalidUnsubscribeToken`` (expired | invalid)."""
    try:
        data = _serializer(secret, scope, now).loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired as exc:
        raise InvalidUnsubscribeToken("expired") from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise InvalidUnsubscribeToken("invalid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        raise InvalidUnsubscribeToken("invalid")
    return data["e"]
