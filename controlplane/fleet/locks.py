"""The fleet run lock: one session-level advisory lock, held by a run from start to finish.

Held on a dedicated connection, so the CLI and ``POST /v1/ops/migrations/run`` (in any process)
can never overlap, and a killed coordinator's lock goes with its connection.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from controlplane.fleet.models import FleetRun
from shared.errors import Conflict
from shared.runtime import Runtime

log = logging.getLogger("cleanplane.fleet")

RUN_LOCK_KEY = int.from_bytes(b"cpfleet1", "big") & 0x7FFF_FFFF_FFFF_FFFF


class RunInProgress(Conflict):
    """Another fleet migration run holds the run lock."""

    def __init__(self, run: FleetRun | None = None):
        detail = "A fleet migration run is already in progress"
        if run is not None:
            detail += (
                f" (run {run.id}, started {run.started_at:%Y-%m-%d %H:%M:%S %Z} by {run.trigger})"
            )
        super().__init__(detail + "; try again when it has finished.")


class RunLock:
    """The session-level advisory lock a run holds on its own connection until it ends."""

    def __init__(self, conn: Connection):
        self.conn = conn

    @classmethod
    def try_acquire(cls, engine: Engine) -> RunLock | None:
        conn = engine.connect()
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": RUN_LOCK_KEY}
            ).scalar()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return None
        return cls(conn)

    def release(self) -> None:
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RUN_LOCK_KEY})
            self.conn.commit()
        except Exception:  # closing the connection below drops the lock anyway
            log.exception("could not release the fleet run lock cleanly")
            self.conn.invalidate()
        finally:
            self.conn.close()


def run_lock_held(conn: Connection) -> bool:
    """Whether some session holds the run lock (readable by the app role via ``pg_locks``)."""
    return bool(
        conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = :hi AND objid = :lo AND objsubid = 1"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
            ),
            {"hi": RUN_LOCK_KEY >> 32, "lo": RUN_LOCK_KEY & 0xFFFF_FFFF},
        ).scalar()
    )


def acquire_run_lock(runtime: Runtime) -> RunLock:
    """Take the run lock or raise ``RunInProgress`` naming the run that holds it."""
    lock = RunLock.try_acquire(runtime.owner_engine)
    if lock is not None:
        return lock
    with runtime.owner_engine.connect() as conn:
        try:
            running = conn.execute(
                select(FleetRun)
                .where(FleetRun.status == "running")
                .order_by(FleetRun.started_at.desc())
            ).first()
        except Exception:  # public not migrated yet: the refusal is what matters
            running = None
    raise RunInProgress(running)
