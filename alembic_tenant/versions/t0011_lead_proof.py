"""leads.token_hash (proof of the lead) and settings.max_pending_without_deposit (issue #17)

Revision ID: t0011_lead_proof
Revises: t0010_security
Create Date: 2026-12-06 01:40:00

Offline-safe (DDL only). Leads made before have no token hash: they cannot be booked through the
public API (staff still can); new leads get a token at ``POST /leads``.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "t0011_lead_proof"
down_revision: str | Sequence[str] | None = "t0010_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("token_hash", sa.String(length=64), nullable=True))
    op.add_column(
        "settings",
        sa.Column("max_pending_without_deposit", sa.Integer(), server_default="50", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_settings_max_pending_without_deposit"),
        "settings",
        "max_pending_without_deposit >= 1",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_settings_max_pending_without_deposit"), "settings", type_="check")
    op.drop_column("settings", "max_pending_without_deposit")
    op.drop_column("leads", "token_hash")
