from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

ZONE = ZoneInfo("America/Edmonton")
# lead_token per (tenant slug, lead id), as the customer's browser keeps it after POST /leads.
_LEAD_TOKENS: dict[tuple[str, int], str] = {}
_FROM_MAKE_LEAD = object()


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
    data = resp.get_json()
    _LEAD_TOKENS[(tenant.slug, data["lead_id"])] = data["lead_token"]
    return data


def lead_token(tenant, lead_id) -> str | None:
    """The token ``make_lead`` got for this lead (None for a lead it did not make)."""
    return _LEAD_TOKENS.get((tenant.slug, lead_id))


def book(client, tenant, lead_id, starts_at, *, token=_FROM_MAKE_LEAD, **extra):
    """POST /bookings with the lead's token from ``make_lead``; ``token=None`` leaves it out."""
    body = {"lead_id": lead_id, "starts_at": starts_at, **extra}
    if token is _FROM_MAKE_LEAD:
        token = lead_token(tenant, lead_id)
    if token is not None:
        body["lead_token"] = token
    return client.post(tenant.url("/bookings"), json=body)


@pytest.fixture()
def day():
    return monday()
