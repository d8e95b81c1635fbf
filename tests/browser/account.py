"""Steps of the customer's account pages as a customer takes them (issue #28)."""

from __future__ import annotations

import secrets
import uuid
from datetime import date

from sqlalchemy import select

from shared import db
from shared.crypto import unsealed
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.invoices import links as invoice_links
from tenantapp.outbox.models import OutboxMessage
from tests.browser.booking import working_day


def email() -> str:
    return f"ada-{secrets.token_hex(4)}@example.com"


def phone() -> str:
    return f"+1 403 555 {uuid.uuid4().int % 10000:04d}"


def booking(live, tenant, address_email: str, day: date | None = None, hhmm="09:00") -> dict:
    """A confirmed one-off booking made the public way (lead + booking), as the page does."""
    c = live.client()
    lead = c.post(
        tenant.url("/leads"),
        json={
            "name": "Ada Customer",
            "phone": phone(),
            "email": address_email,
            "address": "12 Elm Street",
            "postal_code": "T2P 1J9",
            "estimate_request": {"beds": 2, "baths": 1},
        },
    ).get_json()
    day = day or working_day(5)
    resp = c.post(
        tenant.url("/bookings"),
        json={
            "lead_id": lead["lead_id"],
            "lead_token": lead["lead_token"],
            "starts_at": f"{day.isoformat()}T{hhmm}:00",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    if made["status"] == "PENDING":
        ok = c.post(tenant.url(f"/admin/bookings/{made['id']}/confirm"), headers=tenant.headers)
        assert ok.status_code == 200, ok.get_json()
    return made


def customer_id(live, tenant, lead_email: str) -> int:
    c = live.client()
    lead = c.post(
        tenant.url("/leads"),
        json={
            "name": "Ada Customer",
            "phone": phone(),
            "email": lead_email,
            "address": "12 Elm Street",
            "postal_code": "T2P 1J9",
            "estimate_request": {"beds": 2, "baths": 1},
        },
    ).get_json()
    shown = c.get(tenant.url(f"/admin/leads/{lead['lead_id']}"), headers=tenant.headers)
    return shown.get_json()["lead"]["customer_id"]


def sealed(live, tenant, topic: str, key: str) -> list[str]:
    """``key`` of every queued ``topic`` e-mail (their links are sealed in the outbox)."""
    rt = live.runtime
    with use_runtime(rt), tenant_context(rt.tenants.by_id(tenant.id)):
        rows = list(
            db.session().scalars(
                select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
            )
        )
        keys = tuple(rt.settings.data_encryption_keys)
        out = [unsealed(r.payload, keys)[key] for r in rows]
        db.session().rollback()
    return out


def sign_in(page, live, tenant, address_email: str) -> None:
    """Ask for a link on the page and follow it (read from the outbox, not SMTP: the magic-link
    test itself reads the e-mail from the SMTP server)."""
    page.goto(f"{live.url}/t/{tenant.slug}/account")
    page.get_by_label("Email").fill(address_email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    page.goto(sealed(live, tenant, "client_login", "login_url")[-1])
    page.get_by_role("heading", name="Hello, Ada Customer").wait_for()


def invoice_page_url(live, tenant, invoice_id: int) -> str:
    rt = live.runtime
    with use_runtime(rt), tenant_context(rt.tenants.by_id(tenant.id)):
        token = invoice_links.invoice_token(invoice_id)
    return f"{live.url}/t/{tenant.slug}/invoices/{invoice_id}?token={token}"


def completed_visit(live, tenant, address_email: str) -> dict:
    """A booking taken to DONE (its invoice issued, a review asked for)."""
    return completed_visit_at(live, tenant, address_email, working_day(5), "09:00")


def completed_visit_at(live, tenant, address_email: str, day: date, hhmm: str) -> dict:
    made = booking(live, tenant, address_email, day=day, hhmm=hhmm)
    c = live.client()
    c.patch(
        tenant.url("/admin/settings"), json={"invoice_on_complete": "issue"}, headers=tenant.headers
    )
    done = c.post(tenant.url(f"/admin/bookings/{made['id']}/complete"), headers=tenant.headers)
    assert done.status_code == 200, done.get_json()
    return made
