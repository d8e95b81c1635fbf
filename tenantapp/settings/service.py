"""Tenant settings (single row), edited by admins; each change is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import phonenumbers

from shared import db
from shared.aftercommit import on_commit
from shared.errors import Conflict, field_error
from shared.models.sms import claim_number
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from shared.timezones import time_zone_problem
from tenantapp.audit.service import changes, record
from tenantapp.settings.models import TenantSettings


def get_settings() -> TenantSettings:
    """The tenant's settings row, held by the session that read it.

    A session's identity map keeps rows only weakly: unheld, every ``tenant_zone()`` of a page
    read the row again (a report page did seven times, a month's timesheet twice). Held in the
    session's ``info``, it lives exactly as long as the identity map that would return it anyway.
    """
    sess = db.session()
    row = sess.get(TenantSettings, 1)
    sess.info["settings_row"] = row
    return row


def tenant_zone() -> ZoneInfo:
    """The tenant's time zone."""
    return ZoneInfo(get_settings().time_zone)


def local_day_start(day: date | None) -> datetime | None:
    """Midnight of ``day`` in the tenant's zone, as UTC (date parameters are tenant-local)."""
    if day is None:
        return None
    zone = tenant_zone()
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _e164(raw: str, field: str) -> str:
    """A phone setting in E.164 (numbers without a country code read as North American)."""
    try:
        number = phonenumbers.parse(raw, "CA")
    except phonenumbers.NumberParseException as exc:
        raise field_error(field, f"{field} is not a valid phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise field_error(field, f"{field} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def update_settings(patch: dict) -> TenantSettings:
    """Apply ``patch`` to the settings after checking the time zone; audited."""
    if "time_zone" in patch:
        problem = time_zone_problem(patch["time_zone"])
        if problem:
            raise field_error("time_zone", f"time_zone {problem}")
    for name in ("sms_from", "contact_phone"):
        if patch.get(name):
            patch[name] = _e164(patch[name], name)
        elif name in patch:
            patch[name] = None
    if "tax_rates" in patch:  # stored as data: the rate as a three-place decimal string
        patch["tax_rates"] = [{**r, "rate": f"{r['rate']:.3f}"} for r in patch["tax_rates"]]
    if patch.get("brand_color"):
        patch["brand_color"] = patch["brand_color"].lower()
    if "booking_intro" in patch:
        patch["booking_intro"] = (patch["booking_intro"] or "").strip() or None
    if "platform_fee" in patch and patch["platform_fee"] is not None:
        patch["platform_fee"] = {k: str(v) for k, v in patch["platform_fee"].items()}
    with db.transaction() as tx:
        row = tx.get(TenantSettings, 1, with_for_update=True)
        if "deposit_policy" in patch:
            patch["deposit_policy"] = {**(row.deposit_policy or {}), **patch["deposit_policy"]}
        before, after = changes(row, patch)
        if "sms_from" in after and not claim_number(tx, current_tenant().id, row.sms_from):
            raise Conflict("Another workspace already texts from this number.", code="conflict")
        if after:
            record(tx, "settings.update", "settings", 1, before, after)
            # Caches keyed by the tenant version (booking-site CORS origins) pick it up at once.
            tenant_id = current_tenant().id
            on_commit(lambda: current_runtime().tenants.bump(tenant_id), tx)
    return row
