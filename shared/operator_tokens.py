"""Operator API tokens: JWTs with ``typ=operator`` whose ``sid`` names a revocable row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from shared.auth import tokens
from shared.db import CPBase
from shared.errors import Unauthorized
from shared.runtime import current_runtime


class OperatorToken(CPBase):
    __tablename__ = "operator_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def create_operator_token(sess, name: str, days: int = 90) -> tuple[str, OperatorToken]:
    """Store a token row and return the signed token (shown once) with the row."""
    rt = current_runtime()
    now = datetime.now(UTC)
    row = OperatorToken(id=uuid.uuid4(), name=name, expires_at=now + timedelta(days=days))
    sess.add(row)
    sess.flush()
    token, _ = tokens.issue(
        rt.settings,
        typ="operator",
        sub=name,
        tid=None,
        sid=str(row.id),
        ttl=timedelta(days=days),
        now=now,
    )
    return token, row


def check_operator_token(claims: dict) -> str:
    """The operator name for valid, unrevoked token claims; else 401."""
    try:
        token_id = uuid.UUID(claims["sid"])
    except (ValueError, KeyError) as exc:
        raise Unauthorized("The operator token is not valid.") from exc
    with current_runtime().engine.connect() as conn:
        row = conn.execute(
            select(OperatorToken.name, OperatorToken.revoked_at).where(OperatorToken.id == token_id)
        ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("The operator token has been revoked.")
    return row.name


def revoke_operator_token(sess, token_id: uuid.UUID) -> bool:
    """Mark token ``token_id`` revoked (idempotent); false when there is no such token."""
    row = sess.get(OperatorToken, token_id)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
    return True
