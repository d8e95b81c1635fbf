"""Every tenant table, imported so ``TenantBase.metadata`` is complete (Alembic, equivalence)."""

from tenantapp.audit.models import AuditEntry
from tenantapp.pricing.models import PricingConfig
from tenantapp.scheduling.models import Blackout, WorkingHours
from tenantapp.settings.models import TenantSettings
from tenantapp.teams.models import Team

__all__ = ["AuditEntry", "Blackout", "PricingConfig", "Team", "TenantSettings", "WorkingHours"]
