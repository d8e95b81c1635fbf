"""Checklist templates (versioned) and the per-booking runs snapshotted from a version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase

PHASES = ("BEFORE", "AFTER")


class ChecklistTemplate(TenantBase):
    """A named checklist; ``service_type`` NULL is the default used when no template matches."""

    __tablename__ = "checklist_templates"
    __table_args__ = (
        # One template per service type, and one default (NULL counts as a value here).
        Index(
            "uq_checklist_templates_service_type",
            text("coalesce(service_type, '*')"),
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    service_type: Mapped[str | None] = mapped_column(String(16))
    current_version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ChecklistTemplateVersion(TenantBase):
    __tablename__ = "checklist_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_templates.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ChecklistTemplateItem(TenantBase):
    __tablename__ = "checklist_template_items"
    __table_args__ = (
        CheckConstraint("phase IN ('BEFORE','AFTER')", name="phase"),
        Index("ix_checklist_template_items_version", "version_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_template_versions.id", ondelete="CASCADE")
    )
    label: Mapped[str] = mapped_column(String(300))
    phase: Mapped[str] = mapped_column(String(8))
    required: Mapped[bool] = mapped_column(Boolean, server_default="false")
    position: Mapped[int] = mapped_column(SmallInteger)


class ChecklistRun(TenantBase):
    """A booking's checklist, copied from one template version (later edits never touch it)."""

    __tablename__ = "checklist_runs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    template_version_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_template_versions.id"), index=True
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ChecklistRunItem(TenantBase):
    __tablename__ = "checklist_run_items"
    __table_args__ = (
        CheckConstraint("phase IN ('BEFORE','AFTER')", name="phase"),
        Index("ix_checklist_run_items_run", "run_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("checklist_runs.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(300))
    phase: Mapped[str] = mapped_column(String(8))
    required: Mapped[bool] = mapped_column(Boolean, server_default="false")
    position: Mapped[int] = mapped_column(SmallInteger)
    done: Mapped[bool] = mapped_column(Boolean, server_default="false")
    note: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(64))
