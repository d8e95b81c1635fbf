"""Deposit jobs."""

from jobs import queues
from jobs.decorators import tenant_job
from tenantapp.payments.service import expire_unpaid_deposits


@tenant_job(queue=queues.MAINTENANCE, timeout=300)
def deposit_cleanup(tenant_id) -> dict:
    """Job (every 5 minutes, per tenant): cancel bookings whose deposit went unpaid."""
    return expire_unpaid_deposits()
