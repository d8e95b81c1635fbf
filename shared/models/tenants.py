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
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import CPBase

TENANT_STATUSES = (
    "provisioning",
    "provision_failed",
    "active",
    "suspended",
    "deleting",
    "deleted",
)


class Tenant(CPBase):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint(
            "status IN ('provisioning','provision_failed','active','suspended','deleting','deleted')",
            name="status",
        ),
        CheckConstraint(r"schema_name ~ '^t_[0-9a-f]{12,32}$'", name="schema_name"),
        # the operator console's tenants table: newest first, keyset pages (cp0011)
        Index("ix_tenants_created_at_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    company_name: Mapped[str] = mapped_column(String(200))
    schema_name: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="provisioning")
    status_reason: Mapped[str | None] = mapped_column(Text)
    plan_code: Mapped[str] = mapped_column(ForeignKey("public.plans.code"), default="free")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/Edmonton")
    shard: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    schema_revision: Mapped[str | None] = mapped_column(String(64))
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # set when the tenant enters ``deleting``: the schema is dropped after this instant (SPEC §2.7)
    delete_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TenantEvent(CPBase):
    """One lifecycle transition: who, when, why."""

    __tablename__ = "tenant_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
