"""The console's jobs: the hourly snapshot (schedule ``ops-snapshot``) and a tenant move started
from a tenant's page (maintenance queue)."""

from __future__ import annotations

import uuid

from controlplane.ops_console.snapshots import take_snapshot
from controlplane.shards.move import run_move
from shared import db
from shared.runtime import current_runtime


def ops_snapshot() -> dict:
    """Job (hourly): record the console's time series (``snapshots.take_snapshot``)."""
    return take_snapshot()


def run_tenant_move(move_id: str) -> dict:
    """Job: run (or resume) a move opened from the console; a failure is recorded on the move
    row, shown on the tenant's page, and resumed by starting the move again."""
    try:
        result = run_move(current_runtime(), uuid.UUID(move_id))
    finally:
        db.close_session()
    return {"move_id": move_id, "target": result.target, "rows": result.rows}
