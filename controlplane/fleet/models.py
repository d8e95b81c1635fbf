"""Fleet migration runs and one result row per tenant (or pool) schema per run."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import CPBase

RUN_STATUSES = ("running", "succeeded", "failed", "abandoned")
RESULT_STATUSES = ("running", "succeeded", "failed", "abandoned")


class FleetRun(CPBase):
    """One ``flask tenants migrate`` / ``POST /v1/ops/migrations/run`` run.

    A row left ``running`` by a dead coordinator is marked ``abandoned`` by the next run (which can
    only start once the global run lock is free, so any ``running`` row it sees is dead).
    """

    __tablename__ = "fleet_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running','succeeded','failed','abandoned')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(String(16), default="running")
    trigger: Mapped[str] = mapped_column(String(200))
    target_revision: Mapped[str] = mapped_column(String(64))
    tenant_slug: Mapped[str | None] = mapped_column(String(40))
    parallel: Mapped[int] = mapped_column(Integer, default=1)
    planned: Mapped[int] = mapped_column(Integer, default=0)
    at_head: Mapped[int] = mapped_column(Integer, default=0)
    succeeded: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FleetResult(CPBase):
    """What one run did to one schema: revisions from/to, duration, outcome and error."""

    __tablename__ = "fleet_results"
    __table_args__ = (
        CheckConstraint("status IN ('running','succeeded','failed','abandoned')", name="status"),
        CheckConstraint("kind IN ('tenant','pool')", name="kind"),
        Index("ix_fleet_results_schema_name_id", "schema_name", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.fleet_runs.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="SET NULL"), index=True
    )
    schema_name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8), default="tenant")
    from_revision: Mapped[str | None] = mapped_column(String(64))
    to_revision: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
