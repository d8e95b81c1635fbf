"""The warm pool's bookkeeping: one row per pre-provisioned tenant schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import CPBase


class PoolSchema(CPBase):
    """A schema built at ``revision`` without seed rows, waiting for a signup to claim it.

    Claiming sets ``claimed_at`` in the signup's transaction (the row stays as the record of which
    pool schema became which tenant); only unclaimed rows at the current head are ever handed out.
    """

    __tablename__ = "tenant_pool"
    __table_args__ = (
        CheckConstraint(r"schema_name ~ '^t_[0-9a-f]{12,32}$'", name="schema_name"),
        # The claim query's index: unclaimed rows by revision, oldest first.
        Index(
            "ix_tenant_pool_unclaimed",
            "revision",
            "created_at",
            postgresql_where=text("claimed_at IS NULL"),
        ),
    )

    schema_name: Mapped[str] = mapped_column(String(40), primary_key=True)
    revision: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
