"""Commit a tombstone in a tenant, then die between the commit and its due-work signal.

    python -m tests.jobs.killed_signal TENANT_ID

Exits with status 137 (as if SIGKILLed) from inside the after-commit signal: the row committed,
the index never heard of it. Used by ``test_reconcile.py``.
"""

from __future__ import annotations

import os
import sys
import uuid

from jobs import duework, signals
from shared import db
from shared.runtime import Runtime, use_runtime
from shared.tenancy import tenant_context
from tenantapp.photos.janitor import add_tombstone


def die(*args, **kwargs):
    os._exit(137)


def main(tenant_id: str) -> None:
    runtime = Runtime.from_env()
    duework.signal = die  # the process is killed right after the commit
    ref = runtime.tenants.by_id(uuid.UUID(tenant_id))
    with use_runtime(runtime), tenant_context(ref), db.transaction() as tx:
        tomb = add_tombstone(tx, f"tenants/{tenant_id}/photos/{uuid.uuid4().hex}.jpg", None)
        signals.tombstone_added(tx, tomb)
    sys.exit(3)  # never reached: the signal kills the process


if __name__ == "__main__":
    main(sys.argv[1])
