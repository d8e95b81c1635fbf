from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase

PHASES = ("BEFORE", "AFTER")
REVIEW_STATUSES = ("PENDING", "APPROVED", "REJECTED")
UPLOADER_TYPES = ("staff", "worker")


class Photo(TenantBase):
    """A job photo. The object lives in storage under ``storage_key``; the client's file name is
    kept only as metadata and never used to build a path."""

    __tablename__ = "photos"
    __table_args__ = (
        CheckConstraint("phase IN ('BEFORE','AFTER')", name="phase"),
        CheckConstraint("review_status IN ('PENDING','APPROVED','REJECTED')", name="review_status"),
        CheckConstraint("uploaded_by_type IN ('staff','worker')", name="uploaded_by_type"),
        CheckConstraint(
            "content_type IN ('image/jpeg','image/png','image/webp')", name="content_type"
        ),
        CheckConstraint("size_bytes > 0", name="size_bytes"),
        Index("ix_photos_booking_created", "booking_id", "created_at", "id"),
        Index("ix_photos_review_status_created", "review_status", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    phase: Mapped[str] = mapped_column(String(8))
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    # What the backend calls the object: the key itself, or Cloudflare Images' own id.
    storage_ref: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    original_filename: Mapped[str | None] = mapped_column(String(255))
    uploaded_by_type: Mapped[str] = mapped_column(String(8))
    uploaded_by_id: Mapped[str] = mapped_column(String(64))
    review_status: Mapped[str] = mapped_column(String(10), server_default="PENDING")
    review_comment: Mapped[str | None] = mapped_column(Text)
    needs_retake: Mapped[bool] = mapped_column(Boolean, server_default="false")
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StorageTombstone(TenantBase):
    """An object that must go from storage: written in the transaction that forgets it, removed
    once the delete succeeds. The janitor retries the rest and records when it gives up."""

    __tablename__ = "storage_tombstones"
    __table_args__ = (Index("ix_storage_tombstones_due", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    storage_ref: Mapped[str] = mapped_column(String(512))
    storage_key: Mapped[str | None] = mapped_column(String(512))
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    gave_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
