"""Export jobs (scheduled in ``jobs/schedules.py``, fanned out per active tenant)."""

from jobs import queues
from jobs.decorators import tenant_job
from tenantapp.exports.service import auto_replay_dead_exports


@tenant_job(queue=queues.EXPORT, timeout=300)
def auto_replay_tenant_exports(tenant_id) -> dict:
    """Job (every 15 minutes, only when EXPORT_AUTO_REPLAY is on): requeue recent dead exports."""
    return auto_replay_dead_exports()
