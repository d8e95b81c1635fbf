"""The daily grace check: suspend tenants whose payment has been overdue too long (SPEC §4.3)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from controlplane.accounts import mailer
from controlplane.billing.models import BillingAccount
from controlplane.billing.subscription import (
    BILLING_SUSPENSION_REASON,
    DELINQUENT_STATUSES,
    billing_url,
    owner_email,
)
from controlplane.tenants.lifecycle import transition
from shared import db
from shared.models.tenants import Tenant
from shared.runtime import current_runtime

log = logging.getLogger("cleanplane.billing.grace")


def billing_grace_check(now: datetime | None = None) -> dict:
    """Job (daily): suspend each active tenant that has been ``past_due``/``unpaid`` for at least
    ``BILLING_GRACE_DAYS`` and e-mail its owner. The suspension reason marks it as a billing
    suspension, which a later payment lifts (operator suspensions are never lifted by payment).
    One tenant's failure never stops the others."""
    rt = current_runtime()
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=rt.settings.billing_grace_days)
    due_filter = (
        BillingAccount.subscription_status.in_(DELINQUENT_STATUSES),
        BillingAccount.delinquent_since.is_not(None),
        BillingAccount.delinquent_since <= cutoff,
    )
    suspended, failed = [], []
    try:
        tenant_ids = (
            db.session()
            .scalars(
                select(BillingAccount.tenant_id)
                .join(Tenant, Tenant.id == BillingAccount.tenant_id)
                .where(*due_filter, Tenant.status == "active")
            )
            .all()
        )
        db.close_session()
        for tenant_id in tenant_ids:
            try:
                if _suspend(tenant_id, due_filter, now):
                    rt.tenants.bump(tenant_id)
                    suspended.append(str(tenant_id))
            except Exception:
                log.exception("grace check failed for tenant %s", tenant_id)
                failed.append(str(tenant_id))
            finally:
                db.close_session()
    finally:
        db.close_session()
    return {"suspended": suspended, "failed": failed}


def _suspend(tenant_id, due_filter, now: datetime) -> bool:
    with db.transaction() as tx:
        account = tx.scalar(
            select(BillingAccount)
            .where(BillingAccount.tenant_id == tenant_id, *due_filter)
            .with_for_update()
        )
        tenant = tx.get(Tenant, tenant_id, with_for_update=True)
        if account is None or tenant is None or tenant.status != "active":
            return False  # paid or changed since the scan
        since = account.delinquent_since
        transition(
            tx,
            tenant_id,
            "suspended",
            actor="billing",
            reason=f"{BILLING_SUSPENSION_REASON} since {since.date().isoformat()}",
        )
        to = owner_email(tx, tenant_id)
        if to:
            mailer.send_platform_mail(
                tx,
                "billing_notice",
                to,
                {
                    "notice": "suspended",
                    "company_name": tenant.company_name,
                    "slug": tenant.slug,
                    "plan": tenant.plan_code,
                    "overdue_since": since.isoformat(),
                    "grace_days": current_runtime().settings.billing_grace_days,
                    "billing_url": billing_url(),
                },
                f"billing_notice:suspended:{tenant_id}:{since.isoformat()}",
                tenant_id=tenant_id,
            )
    return True
