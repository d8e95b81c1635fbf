"""Old dotted path of the reminder scan job (RQ stores a job's function by path). Remove after
one release: jobs queued before the move to ``tenantapp.bookings.jobs`` still run."""

from tenantapp.bookings.jobs import scan_tenant_reminders

__all__ = ["scan_tenant_reminders"]
