"""The outbox row, as a mixin: the tenant app and the control plane each declare their own table.

Statuses: ``pending`` (due at ``next_attempt_at``) → ``sending`` (claimed under a lease; the send
may have started) → ``sent`` | back to ``pending`` (failed, backoff) | ``dead`` (5 attempts, a
permanent refusal, or an e-mail whose outcome is unknown after a crash) | ``skipped`` (nothing to
send: the recipient unsubscribed from optional mail, exports were turned off).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Index,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

KINDS = ("email", "webhook")  # a table may allow more (the tenant outbox adds "sms")
STATUSES = ("pending", "sending", "sent", "dead", "skipped")
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30


def backoff_seconds(attempts: int) -> int:
    """Delay before the next try after the ``attempts``-th failure: 30 s × 2^(n−1)."""
    if attempts < 1:
        raise ValueError("backoff is defined from the first failed attempt")
    return BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)


def _quoted(values) -> str:
    return ",".join(f"'{v}'" for v in values)


class OutboxColumns:
    """Columns and constraints of an outbox table (mix into ``TenantBase`` or ``CPBase``).

    ``KINDS`` are the channels this table carries (its CHECK constraint); a table may widen it.
    """

    KINDS: tuple[str, ...] = KINDS

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str | None] = mapped_column(String(320))
    payload: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_ref: Mapped[str | None] = mapped_column(String(255))
    replay_count: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @declared_attr.directive
    def __table_args__(cls):  # SQLAlchemy passes the class
        name = cls.__tablename__
        return (
            CheckConstraint(f"kind IN ({_quoted(cls.KINDS)})", name="kind"),
            CheckConstraint(f"status IN ({_quoted(STATUSES)})", name="status"),
            CheckConstraint("attempts >= 0", name="attempts"),
            # Due selection scans only the live rows.
            Index(
                f"ix_{name}_due",
                "next_attempt_at",
                "id",
                postgresql_where=text("status IN ('pending','sending')"),
            ),
            Index(f"ix_{name}_status_id", "status", "id"),
        )
