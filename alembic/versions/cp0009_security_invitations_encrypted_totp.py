"""Invitations (no membership before acceptance) and TOTP secrets encrypted at rest (#17)

Revision ID: cp0009_security
Revises: cp0008_opsrest
Create Date: 2026-12-06 01:10:00

The data step encrypts TOTP secrets still stored in plain text with the newest key of
``DATA_ENCRYPTION_KEYS`` when the variable is set for the migration; without it the rows stay
as they are and ``flask keys rotate`` (which also encrypts plain rows) finishes the job. Either
way the app reads both forms until then, so no user is locked out during the deploy.
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet

from alembic import op

revision: str = "cp0009_security"
down_revision: str | Sequence[str] | None = "cp0008_opsrest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fernet() -> MultiFernet | None:
    keys = [k.strip() for k in os.environ.get("DATA_ENCRYPTION_KEYS", "").split(",") if k.strip()]
    return MultiFernet([Fernet(k.encode()) for k in keys]) if keys else None


def upgrade() -> None:
    op.alter_column(
        "users",
        "totp_secret",
        type_=sa.String(255),
        existing_type=sa.String(64),
        existing_nullable=True,
        schema="public",
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Uuid(),
            sa.ForeignKey("public.tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("invited_by", sa.Uuid(), sa.ForeignKey("public.users.id", ondelete="SET NULL")),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column(
            "accepted_user_id", sa.Uuid(), sa.ForeignKey("public.users.id", ondelete="SET NULL")
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "role IN ('owner','admin','dispatcher','finance','viewer')", name="invitation_role"
        ),
        schema="public",
    )
    op.create_index(
        "ix_invitations_tenant_email", "invitations", ["tenant_id", "email"], schema="public"
    )
    fernet = _fernet()
    if fernet is None or context_is_offline():
        return
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, totp_secret FROM public.users "
            "WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE 'gAAAAA%'"
        )
    ).all()
    for user_id, secret in rows:
        conn.execute(
            sa.text("UPDATE public.users SET totp_secret = :s WHERE id = :id"),
            {"s": fernet.encrypt(secret.encode()).decode(), "id": user_id},
        )


def context_is_offline() -> bool:
    return op.get_context().as_sql


def downgrade() -> None:
    op.drop_index("ix_invitations_tenant_email", table_name="invitations", schema="public")
    op.drop_table("invitations", schema="public")
    # Encrypted secrets do not fit the old width: 2FA is switched off for their users.
    op.execute(
        "UPDATE public.users SET totp_secret = NULL, totp_enabled = false "
        "WHERE length(totp_secret) > 64"
    )
    op.alter_column(
        "users",
        "totp_secret",
        type_=sa.String(64),
        existing_type=sa.String(255),
        existing_nullable=True,
        schema="public",
    )
