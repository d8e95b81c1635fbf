"""Invoice test plumbing: tax settings, bookings taken to DONE, invoices made through the API."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from shared import db
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.bookings.models import Booking
from tests.bookings.conftest import at, book, make_lead, monday
from tests.support import runtime_of

GST = {"code": "GST", "name": "GST", "rate": "5.000", "registration_number": "123456789RT0001"}
PST = {"code": "PST", "name": "PST", "rate": "7.000", "applies_to_add_ons": False}


class InTenant:
    """``with InTenant(runtime, tenant) as sess:`` — direct service calls inside a tenant."""

    def __init__(self, runtime, tenant):
        self.runtime, self.tenant = runtime, tenant

    def __enter__(self):
        self._rt = use_runtime(self.runtime)
        self._rt.__enter__()
        self._tc = tenant_context(self.runtime.tenants.by_id(self.tenant.id))
        self._tc.__enter__()
        return db.session()

    def __exit__(self, *exc):
        self._tc.__exit__(*exc)
        self._rt.__exit__(*exc)


def settings(client, tenant, **values) -> dict:
    resp = client.patch(tenant.url("/admin/settings"), json=values, headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def idem(tenant, key: str | None = None) -> dict:
    return {**tenant.headers, "Idempotency-Key": key or uuid.uuid4().hex}


def post(client, tenant, path, body=None, status=200, key=None):
    headers = idem(tenant, key) if key is not False else tenant.headers
    resp = client.post(tenant.url(path), json=body or {}, headers=headers)
    assert resp.status_code == status, (resp.status_code, resp.get_json())
    return resp.get_json()


def get(client, tenant, path, status=200):
    resp = client.get(tenant.url(path), headers=tenant.headers)
    assert resp.status_code == status, (resp.status_code, resp.get_json())
    return resp.get_json()


def customer_id(client, tenant, email="pat@example.com", **lead) -> int:
    """A customer made the public way (a lead), and its id."""
    from tenantapp.leads.models import Lead

    made = make_lead(client, tenant, email=email, **lead)
    with InTenant(runtime_of(client), tenant) as sess:
        return sess.get(Lead, made["lead_id"]).customer_id


def manual_invoice(client, tenant, lines, cid=None, **extra) -> dict:
    cid = cid or customer_id(client, tenant)
    body = {"customer_id": cid, "lines": lines, **extra}
    return post(client, tenant, "/admin/invoices", body, status=201)


def line(cents, kind="custom", qty=1, description="Cleaning", taxable=True) -> dict:
    return {
        "kind": kind,
        "description": description,
        "quantity": qty,
        "unit_price_cents": cents,
        "taxable": taxable,
    }


def booked(client, runtime, tenant, *, estimate=None, email="pat@example.com", deposit=None):
    """A CONFIRMED booking (``deposit``: cents marked paid on it)."""
    lead = make_lead(client, tenant, email=email, estimate=estimate)
    resp = book(client, tenant, lead["lead_id"], at(monday(), "09:00"))
    assert resp.status_code == 201, resp.get_json()
    booking = resp.get_json()
    with InTenant(runtime, tenant) as sess:
        values = {"deposit_status": "paid" if deposit else None}
        if deposit:
            values.update(deposit_amount_cents=deposit, deposit_required=True)
        sess.execute(update(Booking).where(Booking.id == booking["id"]).values(**values))
        sess.commit()
    if booking["status"] == "PENDING":
        post(client, tenant, f"/admin/bookings/{booking['id']}/confirm", key=False)
    return booking


def complete(client, tenant, booking_id) -> dict:
    return post(client, tenant, f"/admin/bookings/{booking_id}/complete", key=False)


def invoice_of_booking(client, tenant, booking_id) -> dict | None:
    items = get(client, tenant, "/admin/invoices?limit=200")["items"]
    mine = [i for i in items if i["booking_id"] == booking_id and i["status"] != "VOID"]
    return get(client, tenant, f"/admin/invoices/{mine[0]['id']}") if mine else None


def outbox_topics(runtime, tenant) -> list[tuple[str, str, str]]:
    from tenantapp.outbox.models import OutboxMessage

    with InTenant(runtime, tenant) as sess:
        rows = sess.execute(
            select(OutboxMessage.topic, OutboxMessage.recipient, OutboxMessage.dedupe_key)
        ).all()
        return [tuple(r) for r in rows]
