"""settings.export_signing_secret: the export webhook signing secret, encrypted (#17)

Revision ID: t0010_security
Revises: t0009_payments
Create Date: 2026-12-06 01:20:00

A Fernet token under DATA_ENCRYPTION_KEYS. Offline-safe (DDL only): rows stay NULL, which the
app reads as the secret it derived from SECRET_KEY before, and ``flask keys rotate`` stores that
value encrypted in every tenant (so receivers keep verifying).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "t0010_security"
down_revision: str | Sequence[str] | None = "t0009_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "settings", sa.Column("export_signing_secret", sa.String(length=255), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("settings", "export_signing_secret")
