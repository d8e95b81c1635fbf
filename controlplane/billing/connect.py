"""Connected-account webhooks: verified here, applied inside the owning tenant's schema."""

from __future__ import annotations

from sqlalchemy import select

from shared import db
from shared.models.connect import ConnectAccount
from shared.runtime import current_runtime
from shared.tenancy import SERVED_STATUSES, tenant_context
from tenantapp.payments.webhooks import handle_connect_event


def route_connect_event(event: dict) -> str:
    """Find the tenant that owns ``event.account`` and apply the event there."""

    account = event.get("account")
    tenant_id = (
        db.session().scalar(
            select(ConnectAccount.tenant_id).where(ConnectAccount.account_id == account)
        )
        if account
        else None
    )
    db.close_session()
    ref = current_runtime().tenants.by_id(tenant_id) if tenant_id else None
    if ref is None or ref.status not in SERVED_STATUSES:
        return "unknown_account"  # acknowledged so Stripe stops retrying; nothing to apply
    with tenant_context(ref):
        return handle_connect_event(event)
