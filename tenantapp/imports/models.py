"""Customer imports: the uploaded CSV (kept until the job has read it) and the outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase

IMPORT_STATUSES = ("queued", "running", "done", "failed")


class CustomerImport(TenantBase):
    """One uploaded client list. ``content`` is cleared once the job has finished with it;
    ``errors`` are ``{line, field, message}`` with 1-based file lines (header = 1)."""

    __tablename__ = "customer_imports"
    __table_args__ = (
        CheckConstraint("status IN ('queued','running','done','failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    dry_run: Mapped[bool] = mapped_column(Boolean, server_default="true")
    filename: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(Integer, server_default="0")
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    encoding: Mapped[str | None] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer, server_default="0")
    processed: Mapped[int] = mapped_column(Integer, server_default="0")
    created: Mapped[int] = mapped_column(Integer, server_default="0")
    merged: Mapped[int] = mapped_column(Integer, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, server_default="0")
    errors: Mapped[list] = mapped_column(JSONB, server_default="[]")
    failure: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
