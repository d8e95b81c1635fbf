"""Helpers for plan tests: a customer (made through a lead, as the public flow does) and plans."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared import db
from shared.tenancy import tenant_context
from tests.bookings.conftest import make_lead

ZONE = ZoneInfo("America/Edmonton")


def today() -> date:
    return datetime.now(ZONE).date()


def next_weekday(weekday: int, weeks_ahead: int = 1) -> date:
    """The ``weekday`` (0 = Monday) at least ``weeks_ahead`` weeks from today."""
    day = today() + timedelta(days=7 * weeks_ahead)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def make_customer(client, tenant, email=None) -> int:
    tag = uuid.uuid4().int
    lead = make_lead(
        client,
        tenant,
        email=email or f"c-{tag % 10**8}@example.com",
        phone=f"+1 403 555 {tag % 10000:04d}",
    )
    resp = client.get(tenant.url(f"/admin/leads/{lead['lead_id']}"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["lead"]["customer_id"]


def create_plan(client, tenant, *, key=None, expect=201, **body):
    payload = {
        "frequency": "weekly",
        "start_time": "09:00",
        "estimate_request": {"beds": 2, "baths": 1},
        **body,
    }
    if "customer_id" not in payload:
        payload["customer_id"] = make_customer(client, tenant)
    if "first_date" not in payload:
        payload["first_date"] = next_weekday(1).isoformat()
    payload = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in payload.items()}
    headers = {**tenant.headers, "Idempotency-Key": key or uuid.uuid4().hex}
    resp = client.post(tenant.url("/admin/plans"), json=payload, headers=headers)
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def plan_bookings(client, tenant, plan_id) -> list[dict]:
    start, end = today() - timedelta(days=1), today() + timedelta(days=400)
    out, cursor = [], None
    while True:
        url = tenant.url(f"/admin/bookings?from={start}&to={end}&limit=200")
        if cursor:
            url += f"&cursor={cursor}"
        data = client.get(url, headers=tenant.headers).get_json()
        out += [b for b in data["items"] if b["plan_id"] == plan_id]
        cursor = data["next_cursor"]
        if not cursor:
            return out


@pytest.fixture()
def in_tenant(rt, tenant):
    """Enter the tenant's context for direct service calls."""
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        yield
        db.close_session()
