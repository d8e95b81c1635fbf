"""Jobs used by the job-plumbing tests (importable by a real worker subprocess)."""

from __future__ import annotations

from rq import get_current_job
from sqlalchemy import text

from jobs import queues
from jobs.decorators import job, tenant_job
from shared import db
from shared.runtime import current_runtime
from tenantapp.audit.models import AuditEntry

FAIL_KEY = "test:jobs:fail-tenants"


def _write_audit(label: str) -> int:
    current = get_current_job()
    with db.transaction() as tx:
        entry = AuditEntry(
            actor_type="system",
            action=f"job.{label}",
            entity="job",
            entity_id=current.id if current is not None else None,
        )
        tx.add(entry)
        tx.flush()
        return entry.id


@tenant_job(queue=queues.DEFAULT, timeout=30, result_ttl=600)
def record_ping(tenant_id: str, label: str = "ping") -> int:
    """Write an audit row into the tenant's own schema; return its id."""
    return _write_audit(label)


@tenant_job(queue=queues.DEFAULT, timeout=30, result_ttl=600)
def ping_or_fail(tenant_id: str) -> int:
    """Fail for tenants listed in Redis ``FAIL_KEY``, else write an audit row."""
    if current_runtime().redis.sismember(FAIL_KEY, tenant_id):
        raise RuntimeError("this tenant's job fails on purpose")
    return _write_audit("fanout")


@job(queue=queues.MAINTENANCE, timeout=30, result_ttl=600)
def set_marker(key: str, value: str) -> str:
    """A control-plane job: set a Redis key."""
    current_runtime().redis.set(key, value, ex=600)
    return value


def not_a_tenant_job(tenant_id: str) -> None:
    """A plain function (fan-out must refuse it)."""


@tenant_job(queue=queues.DEFAULT, timeout=30, result_ttl=600)
def backend_pid(tenant_id: str) -> int:
    """The Postgres backend serving this job's tenant session."""
    return db.session().execute(text("select pg_backend_pid()")).scalar()
