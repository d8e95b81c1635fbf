"""SMS and the review loop: message threads, per-number consent, reviews, SMS settings

Revision ID: t0019_sms
Revises: t0018_plans
Create Date: 2026-12-06 04:30:00

Offline-safe (DDL only). The outbox learns the ``sms`` channel (its kind CHECK is widened).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "t0019_sms"
down_revision: str | Sequence[str] | None = "t0018_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SMS_STATUSES = "'queued','sent','delivered','undelivered','failed','dropped','skipped','received'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_outbox_kind"), "outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_outbox_kind"), "outbox", "kind IN ('email','webhook','sms')"
    )
    op.add_column("settings", sa.Column("sms_from", sa.String(length=20), nullable=True))
    op.add_column(
        "settings",
        sa.Column("sms_quiet_start", sa.String(length=5), server_default="21:00", nullable=False),
    )
    op.add_column(
        "settings",
        sa.Column("sms_quiet_end", sa.String(length=5), server_default="08:00", nullable=False),
    )
    op.add_column("settings", sa.Column("contact_phone", sa.String(length=20), nullable=True))
    op.add_column("settings", sa.Column("review_url", sa.String(length=2000), nullable=True))
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=True),
        sa.Column("segments", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("outbox_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("booking_id", sa.BigInteger(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("direction IN ('in','out')", name=op.f("ck_sms_messages_direction")),
        sa.CheckConstraint(f"status IN ({SMS_STATUSES})", name=op.f("ck_sms_messages_status")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_sms_messages_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_sms_messages_outbox_id")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_sms_messages_provider_sid")),
    )
    op.create_index("ix_sms_messages_customer_id_id", "sms_messages", ["customer_id", "id"])
    op.create_index("ix_sms_messages_phone", "sms_messages", ["phone"])
    op.create_index(
        "ix_sms_messages_unread",
        "sms_messages",
        ["customer_id"],
        postgresql_where=sa.text("direction = 'in' AND read_at IS NULL"),
    )
    op.create_table(
        "sms_consents",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opted_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_sms_consents")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("booking_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "worker_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 10)", name=op.f("ck_reviews_score")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_reviews_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_reviews_booking_id")),
    )
    op.create_index(
        "ix_reviews_customer_id_requested_at", "reviews", ["customer_id", "requested_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_reviews_customer_id_requested_at", table_name="reviews")
    op.drop_table("reviews")
    op.drop_table("sms_consents")
    op.drop_index("ix_sms_messages_unread", table_name="sms_messages")
    op.drop_index("ix_sms_messages_phone", table_name="sms_messages")
    op.drop_index("ix_sms_messages_customer_id_id", table_name="sms_messages")
    op.drop_table("sms_messages")
    for column in ("review_url", "contact_phone", "sms_quiet_end", "sms_quiet_start", "sms_from"):
        op.drop_column("settings", column)
    op.drop_constraint(op.f("ck_outbox_kind"), "outbox", type_="check")
    op.create_check_constraint(op.f("ck_outbox_kind"), "outbox", "kind IN ('email','webhook')")
