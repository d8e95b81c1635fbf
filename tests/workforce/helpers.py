"""Factories for workforce tests: workers that accepted their invite and logged in, bookings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from tests.bookings.conftest import at, book, make_lead, monday
from tests.support import PASSWORD


@dataclass
class WorkerHandle:
    id: int
    email: str
    team_id: int | None
    access_token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"}


def invite_token(invite_url: str) -> str:
    return parse_qs(urlparse(invite_url).query)["token"][0]


def create_worker(client, tenant, **body):
    body = {"name": "Sam Cleaner", "email": f"w-{uuid.uuid4().hex[:10]}@example.com", **body}
    return client.post(tenant.url("/admin/workers"), json=body, headers=tenant.headers)


def login_worker(client, tenant, email: str, password: str = PASSWORD):
    return client.post(tenant.url("/worker/login"), json={"email": email, "password": password})


def make_worker(client, tenant, team_id: int | None = None, **body) -> WorkerHandle:
    """A worker created by staff, invite accepted, logged in."""
    if team_id is None:
        team_id = default_team_id(client, tenant)
    resp = create_worker(client, tenant, team_id=team_id, **body)
    assert resp.status_code == 201, resp.get_json()
    worker = resp.get_json()
    accepted = client.post(
        tenant.url("/worker/accept-invite"),
        json={"token": invite_token(worker["invite_url"]), "password": PASSWORD},
    )
    assert accepted.status_code == 200, accepted.get_json()
    login = login_worker(client, tenant, worker["email"])
    assert login.status_code == 200, login.get_json()
    return WorkerHandle(worker["id"], worker["email"], team_id, login.get_json()["access_token"])


def default_team_id(client, tenant) -> int:
    teams = client.get(tenant.url("/admin/teams"), headers=tenant.headers).get_json()["items"]
    return next(t["id"] for t in teams if t["is_default"])


def add_team(client, tenant, name: str = "Team B") -> int:
    """A second team working the default hours (Mon–Sat 09:00–18:00)."""
    teams = client.get(tenant.url("/admin/teams"), headers=tenant.headers).get_json()["items"]
    body = {"teams": [{"id": t["id"], "name": t["name"]} for t in teams] + [{"name": name}]}
    resp = client.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    team_id = next(t["id"] for t in resp.get_json()["items"] if t["name"] == name)
    hours = {"hours": [{"day_of_week": d, "start": "09:00", "end": "18:00"} for d in range(6)]}
    resp = client.put(
        tenant.url(f"/admin/teams/{team_id}/working-hours"), json=hours, headers=tenant.headers
    )
    assert resp.status_code == 200, resp.get_json()
    return team_id


_day_counters: dict[str, int] = {}


def make_booking(client, tenant, *, day=None, hhmm: str = "09:00", **estimate) -> dict:
    """A PENDING booking (first-time customer, deposit downgraded) on its own weekday."""
    if day is None:
        day = monday(2) + timedelta(days=_next_day(tenant.slug))
    lead = make_lead(
        client,
        tenant,
        phone=f"+1 403 555 {uuid.uuid4().int % 10_000:04d}",
        estimate={"beds": 2, "baths": 1, **estimate},
    )
    resp = book(client, tenant, lead["lead_id"], at(day, hhmm))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _next_day(slug: str) -> int:
    """Spread a tenant's bookings over working days (Mon–Sat) so each gets a free slot."""
    n = _day_counters.get(slug, 0)
    _day_counters[slug] = n + 1
    return (n // 6) * 7 + n % 6


def assign(client, tenant, booking_id: int, worker_id: int | None):
    return client.post(
        tenant.url(f"/admin/bookings/{booking_id}/assign"),
        json={"worker_id": worker_id},
        headers=tenant.headers,
    )
