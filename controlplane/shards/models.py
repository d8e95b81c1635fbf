"""Move state: one row per ``flask tenants move``, recording the last step that completed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import CPBase

MOVE_STATUSES = ("running", "failed", "done")


class TenantMove(CPBase):
    """A tenant's move from ``source_shard`` to ``target_shard``.

    ``step`` is the last step that completed (``None`` before the first); a resumed move carries on
    after it. At most one unfinished move per tenant (partial unique index).
    """

    __tablename__ = "tenant_moves"
    __table_args__ = (
        CheckConstraint("status IN ('running','failed','done')", name="status"),
        CheckConstraint(r"schema_name ~ '^t_[0-9a-f]{12,32}$'", name="schema_name"),
        Index(
            "uq_tenant_moves_open",
            "tenant_id",
            unique=True,
            postgresql_where=text("status <> 'done'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="CASCADE"), index=True
    )
    schema_name: Mapped[str] = mapped_column(String(40))
    source_shard: Mapped[str] = mapped_column(String(64))
    target_shard: Mapped[str] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[dict | None] = mapped_column(JSONB)
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
