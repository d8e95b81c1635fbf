"""Old dotted paths of jobs that moved (RQ stores a job's function by path). Remove after one
release: jobs queued before the move still find their function here."""

from tenantapp.exports.jobs import auto_replay_tenant_exports
from tenantapp.outbox.delivery import deliver_tenant_outbox

__all__ = ["auto_replay_tenant_exports", "deliver_tenant_outbox"]
