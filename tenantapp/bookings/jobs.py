"""Booking jobs (scheduled in ``jobs/schedules.py``, fanned out per active tenant)."""

from jobs import queues
from jobs.decorators import tenant_job
from tenantapp.bookings.deposits import expire_unpaid_deposits
from tenantapp.bookings.reminders import scan_reminders


@tenant_job(queue=queues.EMAIL, timeout=300)
def scan_tenant_reminders(tenant_id) -> dict:
    """Job (every 5 minutes): queue the 24-hour reminders of one tenant."""
    return scan_reminders()


@tenant_job(queue=queues.MAINTENANCE, timeout=300)
def deposit_cleanup(tenant_id) -> dict:
    """Job (every 5 minutes): cancel the tenant's bookings whose deposit went unpaid."""
    return expire_unpaid_deposits()
