"""Every tenant table, imported so ``TenantBase.metadata`` is complete (Alembic, equivalence)."""

from shared.idempotency import TenantIdempotencyKey
from tenantapp.audit.models import AuditEntry
from tenantapp.messaging.models import EmailSuppression, OutboxMessage
from tenantapp.settings.models import TenantSettings
from tenantapp.teams.models import Team

__all__ = [
    "AuditEntry",
    "EmailSuppression",
    "OutboxMessage",
    "Team",
    "TenantIdempotencyKey",
    "TenantSettings",
]
