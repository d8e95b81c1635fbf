"""A scratch copy of the tenant track with extra revisions, for fleet drills, tests and the bench.

Main's ``alembic_tenant`` only gains revisions with real features; to rehearse a fleet migration we
copy the track to a temporary directory and chain revisions that add a column and an index to
``audit_log`` (the shape of a typical expand step), optionally slowed down to exercise kills.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from shared.migrations import TenantTrack, tenant_track

REVISION_TEMPLATE = '''"""fleet drill {n}: add audit_log.{column} and its index"""

from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("{column}", sa.String(32), nullable=True))
    op.create_index("ix_audit_log_{column}", "audit_log", ["{column}"])
    if {sleep_ms}:
        op.execute("SELECT pg_sleep({sleep_s})")


def downgrade() -> None:
    op.drop_index("ix_audit_log_{column}", table_name="audit_log")
    op.drop_column("audit_log", "{column}")
'''


def scratch_revision_id(n: int) -> str:
    return f"fleet_scratch_{n}"


def scratch_column(n: int) -> str:
    return f"fleet_probe_{n}"


def scratch_track(dest: Path | str, revisions: int = 1, *, sleep_ms: int = 0) -> TenantTrack:
    """Copy ``alembic_tenant`` to ``dest`` and chain ``revisions`` drill revisions on its head."""
    base = tenant_track()
    dest = Path(dest)
    shutil.copytree(base.location, dest, ignore=shutil.ignore_patterns("__pycache__"))
    down = base.head
    for n in range(1, revisions + 1):
        revision = scratch_revision_id(n)
        body = REVISION_TEMPLATE.format(
            n=n,
            revision=revision,
            down=down,
            column=scratch_column(n),
            sleep_ms=int(sleep_ms),
            sleep_s=sleep_ms / 1000,
        )
        (dest / "versions" / f"{revision}.py").write_text(body)
        down = revision
    return tenant_track(str(dest))
