"""``Idempotency-Key`` for unsafe operations (SPEC §3).

The key row is written in the **same transaction** as the operation's effect (the view's service
commits the current session, key row included), then the response is stored on it. So:

- missing header → 400 ``idempotency_key_required``;
- same key, same request → the stored response (``Idempotent-Replayed: true``), no second effect;
- same key, different method/path/body → 409 ``idempotency_key_reused``;
- a concurrent duplicate blocks on the key's unique index until the first commits, then gets the
  stored response (or 409 ``conflict`` while the first is still finishing);
- keys are honoured for 24 hours (expired ones are replaced on use and purged by ``purge_expired``).

Failed requests (4xx/5xx) roll the key row back with their transaction, so they can be retried.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, datetime, timedelta

from flask import Response, g, request
from sqlalchemy import DateTime, Index, SmallInteger, String, Text, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from shared import db
from shared.auth.guards import document
from shared.db import TenantBase
from shared.errors import BadRequest, Conflict

TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyColumns:
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    response_body: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @declared_attr.directive
    def __table_args__(cls):
        return (Index(f"ix_{cls.__tablename__}_created_at", "created_at"),)


class TenantIdempotencyKey(IdempotencyColumns, TenantBase):
    """Keys of one tenant's requests (in the tenant schema, so tenants never collide)."""

    __tablename__ = "idempotency_keys"


def request_hash() -> str:
    """sha256 of caller, method, path (with query) and the body (JSON canonicalised when it
    parses): another user re-sending someone else's key gets 409, not their stored answer."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256()
    principal = g.get("principal")
    caller = f"{getattr(principal, 'typ', '')}:{getattr(principal, 'user_id', '')}".encode()
    for part in (caller, request.method.encode(), request.full_path.encode(), body):
        digest.update(part)
        digest.update(b"\x00")
    return digest.hexdigest()


def _stored(row, digest: str) -> Response:
    if row.request_hash != digest:
        raise Conflict(
            "This Idempotency-Key was used for a different request.",
            code="idempotency_key_reused",
        )
    if row.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still being processed.")
    resp = Response(row.response_body, status=row.status_code, content_type=row.content_type)
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _lookup(sess: Session, model, key: str, now: datetime):
    row = sess.get(model, key, populate_existing=True)
    if row is not None and row.created_at <= now - TTL:
        sess.delete(row)
        sess.flush()
        return None
    return row


def idempotent(fn=None, *, model=TenantIdempotencyKey):
    """View decorator (place it under the auth guard, above ``@blp.arguments``)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get(HEADER, "").strip()
            if not key:
                raise BadRequest(
                    "This operation requires an Idempotency-Key header.",
                    code="idempotency_key_required",
                )
            if len(key) > MAX_KEY_LENGTH:
                raise BadRequest(f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.")
            digest = request_hash()
            now = datetime.now(UTC)
            sess = db.session()
            try:
                existing = _lookup(sess, model, key, now)
                if existing is not None:
                    return _stored(existing, digest)
                sess.add(model(key=key, request_hash=digest, created_at=now))
                try:
                    sess.flush()
                except IntegrityError:
                    sess.rollback()
                    return _stored(_lookup(sess, model, key, now), digest)
                resp = view(*args, **kwargs)
            except BaseException:
                sess.rollback()
                raise
            with db.transaction() as tx:
                if 200 <= resp.status_code < 300:
                    tx.execute(
                        update(model)
                        .where(model.key == key)
                        .values(
                            status_code=resp.status_code,
                            response_body=resp.get_data(as_text=True),
                            content_type=resp.content_type,
                        )
                    )
                else:
                    tx.execute(delete(model).where(model.key == key))
            return resp

        return document(
            wrapper,
            parameters=[
                {
                    "in": "header",
                    "name": HEADER,
                    "required": True,
                    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
                    "description": "Replays of the same key and body return the stored "
                    "response for 24 h; another body with the same key is 409.",
                }
            ],
        )

    return decorator(fn) if fn is not None else decorator


def purge_expired(sess: Session, model=TenantIdempotencyKey, now: datetime | None = None) -> int:
    """Delete keys older than 24 h (caller commits); returns how many went."""
    cutoff = (now or datetime.now(UTC)) - TTL
    return sess.execute(delete(model).where(model.created_at <= cutoff)).rowcount
