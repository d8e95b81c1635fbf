"""Old dotted path of the deposit cleanup job (RQ stores a job's function by path). Remove after
one release: jobs queued before the move to ``tenantapp.bookings.jobs`` still run."""

from tenantapp.bookings.jobs import deposit_cleanup

__all__ = ["deposit_cleanup"]
