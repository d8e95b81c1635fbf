"""Every tenant table, imported so ``TenantBase.metadata`` is complete (Alembic, equivalence)."""

from tenantapp.audit.models import AuditEntry
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, ReferralCredit
from tenantapp.leads.models import Lead
from tenantapp.photos.models import Photo, StorageTombstone
from tenantapp.pricing.models import PricingConfig
from tenantapp.scheduling.models import Blackout, WorkingHours
from tenantapp.settings.models import TenantSettings
from tenantapp.teams.models import Team

__all__ = [
    "AuditEntry",
    "Blackout",
    "Booking",
    "Customer",
    "Lead",
    "Photo",
    "PricingConfig",
    "ReferralCredit",
    "StorageTombstone",
    "Team",
    "TenantSettings",
    "WorkingHours",
]
