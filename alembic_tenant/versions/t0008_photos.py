"""tenant: photos and storage tombstones

Revision ID: t0008_photos
Revises: t0007_workforce
Create Date: 2026-11-28 17:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "t0008_photos"
down_revision: str | Sequence[str] | None = "t0007_workforce"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.BigInteger(), nullable=False),
        sa.Column("phase", sa.String(length=8), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("storage_ref", sa.String(length=512), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("uploaded_by_type", sa.String(length=8), nullable=False),
        sa.Column("uploaded_by_id", sa.String(length=64), nullable=False),
        sa.Column("review_status", sa.String(length=10), server_default="PENDING", nullable=False),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("needs_retake", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("phase IN ('BEFORE','AFTER')", name=op.f("ck_photos_phase")),
        sa.CheckConstraint(
            "review_status IN ('PENDING','APPROVED','REJECTED')",
            name=op.f("ck_photos_review_status"),
        ),
        sa.CheckConstraint(
            "uploaded_by_type IN ('staff','worker')", name=op.f("ck_photos_uploaded_by_type")
        ),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg','image/png','image/webp')",
            name=op.f("ck_photos_content_type"),
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_photos_size_bytes")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_photos_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_photos_storage_key")),
    )
    op.create_index(
        "ix_photos_booking_created", "photos", ["booking_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_photos_review_status_created",
        "photos",
        ["review_status", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "storage_tombstones",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("storage_ref", sa.String(length=512), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_tombstones")),
    )
    op.create_index(
        "ix_storage_tombstones_due",
        "storage_tombstones",
        ["next_attempt_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_storage_tombstones_due", table_name="storage_tombstones")
    op.drop_table("storage_tombstones")
    op.drop_index("ix_photos_review_status_created", table_name="photos")
    op.drop_index("ix_photos_booking_created", table_name="photos")
    op.drop_table("photos")
