"""The control-plane DLQ index: dead letters per (tenant, kind), kept current by delivery runs.

Operators read it (``GET /v1/ops/dlq``) without touching tenant schemas. Each upkeep recounts the
outbox it just worked on and overwrites the index row, so a missed update heals on the next run.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import CPBase
from shared.outbox.model import KINDS

PLATFORM_SCOPE = "platform"


class DlqEntry(CPBase):
    __tablename__ = "dlq_index"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)  # tenant id or "platform"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column()
    dead_count: Mapped[int] = mapped_column(Integer, server_default="0")
    oldest_dead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def refresh(sess: Session, model, tenant_id: uuid.UUID | None) -> dict[str, int]:
    """Recount ``model``'s dead letters by kind and upsert them into the index (caller commits)."""
    counts = {kind: (0, None) for kind in getattr(model, "KINDS", KINDS)}
    stmt = (
        select(model.kind, func.count(), func.min(model.dead_at))
        .where(model.status == "dead")
        .group_by(model.kind)
    )
    for kind, count, oldest in sess.execute(stmt):
        counts[kind] = (count, oldest)
    scope = str(tenant_id) if tenant_id is not None else PLATFORM_SCOPE
    rows = [
        {
            "scope": scope,
            "kind": kind,
            "tenant_id": tenant_id,
            "dead_count": count,
            "oldest_dead_at": oldest,
        }
        for kind, (count, oldest) in counts.items()
    ]
    stmt = insert(DlqEntry).values(rows)
    sess.execute(
        stmt.on_conflict_do_update(
            index_elements=[DlqEntry.scope, DlqEntry.kind],
            set_={
                "dead_count": stmt.excluded.dead_count,
                "oldest_dead_at": stmt.excluded.oldest_dead_at,
                "updated_at": func.now(),
            },
        )
    )
    return {kind: c for kind, (c, _) in counts.items()}
