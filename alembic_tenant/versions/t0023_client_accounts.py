"""Customer accounts: magic sign-in links and client sessions

Revision ID: t0023_client_accounts
Revises: t0022_drop_booking_worker
Create Date: 2026-12-06 07:30:00

Offline-safe (DDL only): two new tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "t0023_client_accounts"
down_revision: str | Sequence[str] | None = "t0022_drop_booking_worker"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_login_links",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_client_login_links_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_login_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_client_login_links_token_hash")),
    )
    op.create_index(
        op.f("ix_client_login_links_customer_id"), "client_login_links", ["customer_id"]
    )
    op.create_table(
        "client_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_client_sessions_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_sessions")),
    )
    op.create_index(op.f("ix_client_sessions_customer_id"), "client_sessions", ["customer_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_client_sessions_customer_id"), table_name="client_sessions")
    op.drop_table("client_sessions")
    op.drop_index(op.f("ix_client_login_links_customer_id"), table_name="client_login_links")
    op.drop_table("client_login_links")
