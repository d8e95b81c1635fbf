"""What a new lead sends: the customer's thanks, the tenant's notification, the lead export.

Runs inside the lead's transaction, so a rolled-back lead sends nothing; each message has a dedupe
key naming the lead, so a retried request sends it once.
"""

from __future__ import annotations

from datetime import datetime

from shared.tenancy import current_tenant
from tenantapp.exports.service import enqueue_lead_export
from tenantapp.leads.models import Lead
from tenantapp.messaging.service import EmailKind, enqueue_email, tenant_site_url
from tenantapp.settings.models import TenantSettings

LEAD_RECEIVED = EmailKind("lead_received", optional=True)
LEAD_NOTIFICATION = EmailKind("lead_notification")
EMAILS = (LEAD_RECEIVED, LEAD_NOTIFICATION)


def lead_created(tx, lead: Lead) -> None:
    """Thank the customer, tell the tenant's contact address, and export the lead."""
    estimate_cents = lead.estimate.get("total_before_tax_cents")
    if lead.email:
        enqueue_email(
            tx,
            LEAD_RECEIVED,
            lead.email,
            {"name": lead.name, "estimate_cents": estimate_cents},
            f"lead_received:{lead.id}",
        )
    contact = tx.get(TenantSettings, 1).contact_email
    if contact:
        site = tenant_site_url(current_tenant())
        enqueue_email(
            tx,
            LEAD_NOTIFICATION,
            contact,
            {
                "lead": {
                    "name": lead.name,
                    "email": lead.email or "",
                    "phone": lead.phone,
                    "postal_code": lead.postal_code or "",
                    "message": lead.notes or "",
                    "created_at": (lead.created_at or datetime.now().astimezone()).isoformat(),
                    "admin_url": f"{site}/v1/admin/leads/{lead.id}",
                }
            },
            f"lead_notification:{lead.id}",
        )
    enqueue_lead_export(
        tx,
        lead.id,
        {
            "id": lead.id,
            "status": lead.status,
            "name": lead.name,
            "email": lead.email,
            "phone": lead.phone,
            "postal_code": lead.postal_code,
            "address": lead.address,
            "estimate": lead.estimate,
            "utm": lead.utm,
            "referral_code": lead.referral_code,
            "referred_by_code": lead.referred_by_code,
        },
    )
