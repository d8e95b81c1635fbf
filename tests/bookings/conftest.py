from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

ZONE = ZoneInfo("America/Edmonton")


def monday(weeks_ahead: int = 2):
    day = datetime.now(ZONE).date() + timedelta(days=7 * weeks_ahead)
    while day.weekday() != 0:
        day += timedelta(days=1)
    return day


def at(day, hhmm: str) -> str:
    """A naive tenant-local start, as a customer's browser would send it."""
    return f"{day.isoformat()}T{hhmm}:00"


def make_lead(
    client, tenant, *, email="pat@example.com", phone="+1 403 555 0100", estimate=None, **extra
) -> dict:
    body = {
        "name": "Pat Customer",
        "phone": phone,
        "email": email,
        "estimate_request": estimate or {"beds": 2, "baths": 1},
        **extra,
    }
    resp = client.post(tenant.url("/leads"), json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def book(client, tenant, lead_id, starts_at, **extra):
    return client.post(
        tenant.url("/bookings"), json={"lead_id": lead_id, "starts_at": starts_at, **extra}
    )


@pytest.fixture()
def day():
    return monday()
