"""Every tenant table, imported so ``TenantBase.metadata`` is complete (Alembic, equivalence)."""

from shared.idempotency import TenantIdempotencyKey
from tenantapp.audit.models import AuditEntry
from tenantapp.bookings.models import Booking, BookingWorker
from tenantapp.checklists.models import (
    ChecklistRun,
    ChecklistRunItem,
    ChecklistTemplate,
    ChecklistTemplateItem,
    ChecklistTemplateVersion,
)
from tenantapp.customers.models import Customer, Property, ReferralCredit
from tenantapp.imports.models import CustomerImport
from tenantapp.invoices.models import (
    CreditNote,
    DocumentCounter,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceRefund,
)
from tenantapp.leads.models import Lead
from tenantapp.messaging.models import EmailSuppression
from tenantapp.outbox.models import OutboxMessage
from tenantapp.payments.models import (
    CardOnFile,
    ConnectEvent,
    InvoiceCharge,
    InvoiceCheckout,
    Overpayment,
)
from tenantapp.photos.models import Photo, StorageTombstone
from tenantapp.plans.models import ServicePlan
from tenantapp.pricing.models import PricingConfig
from tenantapp.reviews.models import Review
from tenantapp.scheduling.models import Blackout, WorkingHours
from tenantapp.search.indexes import SEARCH_INDEXES
from tenantapp.settings.models import TenantSettings
from tenantapp.sms.models import SmsConsent, SmsMessage
from tenantapp.teams.models import Team
from tenantapp.timetracking.models import TimeEntry, TimeSegment
from tenantapp.workers.models import Worker, WorkerSession

__all__ = [
    "SEARCH_INDEXES",
    "CardOnFile",
    "ConnectEvent",
    "InvoiceCharge",
    "InvoiceCheckout",
    "Overpayment",
    "AuditEntry",
    "Blackout",
    "Booking",
    "BookingWorker",
    "ChecklistRun",
    "ChecklistRunItem",
    "ChecklistTemplate",
    "ChecklistTemplateItem",
    "ChecklistTemplateVersion",
    "CreditNote",
    "Customer",
    "CustomerImport",
    "DocumentCounter",
    "Invoice",
    "InvoiceLine",
    "InvoicePayment",
    "InvoiceRefund",
    "Lead",
    "Photo",
    "PricingConfig",
    "Property",
    "ServicePlan",
    "ReferralCredit",
    "StorageTombstone",
    "Team",
    "TenantSettings",
    "TimeEntry",
    "TimeSegment",
    "Worker",
    "WorkerSession",
    "WorkingHours",
    "EmailSuppression",
    "OutboxMessage",
    "TenantIdempotencyKey",
    "Review",
    "SmsConsent",
    "SmsMessage",
]
