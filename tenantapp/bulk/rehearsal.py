"""Dry runs that tell the truth: the real actions run, then everything is rolled back.

``rehearsal()`` gives the block its own tenant session on one connection whose outer transaction
is always rolled back. The session joins it in ``create_savepoint`` mode, so each action's
``db.transaction()`` commits only a savepoint (later ids see earlier ids' effects, as in the real
run) and its failures roll back only their own savepoint. Callbacks waiting for a commit (Stripe
refunds, e-mail jobs, cache bumps) are discarded before they could run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

from shared import db
from shared.aftercommit import discard_pending
from shared.runtime import current_runtime
from shared.tenancy import current_tenant


@contextmanager
def rehearsal() -> Iterator[None]:
    """Run the block for real in a transaction that is rolled back at the end."""
    tenant = current_tenant()
    engine = current_runtime().tenant_engine(tenant.schema_name, tenant.shard)
    with engine.connect() as conn:
        outer = conn.begin()

        def open_rehearsal_session() -> Session:
            sess = Session(
                bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            event.listen(sess, "before_commit", discard_pending)
            return sess

        try:
            with db.isolated_session_scope(open_rehearsal_session):
                yield
        finally:
            outer.rollback()
