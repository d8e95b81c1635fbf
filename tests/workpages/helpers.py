"""Factories for the worker pages' tests: a worker with a job, and a browser-like client that
signs in through the page (cookies kept by the werkzeug client)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from shared import db
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.bookings.models import Booking
from tests.bookings.conftest import at, book, make_lead, monday
from tests.support import PASSWORD
from tests.workforce.helpers import assign, make_worker

ZONE = ZoneInfo("America/Edmonton")  # the zone test tenants sign up with

_days: dict[str, int] = {}


def make_job(client, tenant, worker_id: int | None, *, consent: bool = True, **lead) -> int:
    """A PENDING booking on its own working day, assigned to ``worker_id`` (None: the team's)."""
    n = _days.get(tenant.slug, 0)
    _days[tenant.slug] = n + 1
    day = monday(2) + timedelta(days=(n // 6) * 7 + n % 6)
    created = make_lead(
        client,
        tenant,
        email=f"c{uuid.uuid4().hex[:6]}@example.com",
        phone=f"+1 403 555 {uuid.uuid4().int % 10000:04d}",
        **lead,
    )
    resp = book(client, tenant, created["lead_id"], at(day, "09:00"), photo_consent=consent)
    assert resp.status_code == 201, resp.get_json()
    booking_id = resp.get_json()["id"]
    if worker_id is not None:
        assigned = assign(client, tenant, booking_id, worker_id)
        assert assigned.status_code == 200, assigned.get_json()
    return booking_id


def move_to(runtime, tenant, booking_id: int, starts_at: datetime) -> None:
    """Place a booking at ``starts_at`` directly (today's jobs on a day the team does not work)."""
    ref = runtime.tenants.by_id(tenant.id)
    with use_runtime(runtime), tenant_context(ref), db.transaction() as tx:
        booking = tx.get(Booking, booking_id)
        length = booking.ends_at - booking.starts_at
        tx.execute(
            update(Booking)
            .where(Booking.id == booking_id)
            .values(starts_at=starts_at, ends_at=starts_at + length)
        )


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def work(tenant, path: str = "") -> str:
    return f"/t/{tenant.slug}/work/{path}"


def sign_in(client, tenant, email: str, password: str = PASSWORD, **extra):
    """Open the sign-in page and post it (as a browser would, same origin)."""
    page = client.get(work(tenant, "login"))
    assert page.status_code == 200
    form = {"email": email, "password": password, "csrf_token": csrf_of(page.text), **extra}
    return client.post(work(tenant, "login"), data=form)


def signed_in_worker(client, tenant, **body):
    worker = make_worker(client, tenant, **body)
    resp = sign_in(client, tenant, worker.email)
    assert resp.status_code == 303, resp.text
    return worker


def now() -> datetime:
    return datetime.now(UTC)


def later_today(ahead: timedelta) -> datetime:
    """``ahead`` from now, or as long ago when that would be tomorrow already in the test
    tenants' zone (Edmonton): a job that is on today's list at any hour of the day."""
    start = now()
    later = start + ahead
    if later.astimezone(ZONE).date() != start.astimezone(ZONE).date():
        return start - ahead
    return later
