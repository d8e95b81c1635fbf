"""Public slot answers are cached per process (tenantapp.bookings.slot_cache); every booking write,
wherever it is made, and the clock must reach them at once."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from shared import db
from shared.tenancy import availability_key, tenant_context
from tenantapp.bookings import slot_cache
from tenantapp.bookings.models import Booking
from tenantapp.bookings.slots import MIN_LEAD_TIME, TeamDay, stable_until, suggest
from tests.bookings.conftest import ZONE, at, book, make_lead


def _first_local(client, tenant, day):
    url = tenant.url(f"/slots?date={day}&service_type=standard&time_on_site_hours=3")
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_json()
    suggestions = resp.get_json()["suggestions"]
    return suggestions[0]["starts_at_local"][11:16] if suggestions else None


def test_cached_slots_see_a_booking_made_moved_and_cancelled_at_once(client, tenant, day):
    assert _first_local(client, tenant, day) == "09:00"  # cached now
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    # 09:00-12:00 plus the 30-minute buffer: a 3-hour job fits from 12:30
    assert _first_local(client, tenant, day) == "12:30"
    url = tenant.url(f"/admin/bookings/{b['id']}")
    moved = client.post(url + "/move", json={"starts_at": at(day, "10:00")}, headers=tenant.headers)
    assert moved.status_code == 200, moved.get_json()
    assert _first_local(client, tenant, day) == "13:30"  # busy 09:30-13:30
    cancel = client.post(url + "/cancel", json={"reason": "sick"}, headers=tenant.headers)
    assert cancel.status_code == 200, cancel.get_json()
    assert _first_local(client, tenant, day) == "09:00"


def _availability(rt, tenant_id) -> int:
    return int(rt.redis.get(availability_key(tenant_id)) or 0)


def test_booking_writes_outside_requests_bump_once_per_commit_and_never_on_rollback(
    client, tenant, rt, day
):
    """Jobs and the CLI write bookings in tenant_context, not in a request: the bump is made by
    the model's mapper events after the commit, once per transaction."""
    first = make_lead(client, tenant)
    second = make_lead(client, tenant, email="sam@example.com", phone="+1 403 555 0101")
    book(client, tenant, first["lead_id"], at(day, "09:00"))
    book(client, tenant, second["lead_id"], at(day, "13:00"))
    assert _first_local(client, tenant, day) is None  # 09-12 and 13-16 leave no 3-hour gap
    ref = rt.tenants.by_slug(tenant.slug)
    before = _availability(rt, ref.id)
    with tenant_context(ref):
        with pytest.raises(RuntimeError), db.transaction() as tx:
            for booking in tx.scalars(select(Booking)):
                booking.status = "CANCELLED"
            tx.flush()
            raise RuntimeError("rolled back")
        assert _availability(rt, ref.id) == before
        with db.transaction() as tx:
            for booking in tx.scalars(select(Booking)):
                booking.status, booking.cancelled_at = "CANCELLED", datetime.now(UTC)
            tx.flush()
            assert _availability(rt, ref.id) == before  # not before the commit
        db.close_session()
    assert _availability(rt, ref.id) == before + 1
    assert _first_local(client, tenant, day) == "09:00"


def _team(day):
    return TeamDay(team_id=1, window=(time(9), time(18)))


def test_an_answer_holds_until_its_first_start_comes_inside_the_lead_time(day):
    teams = [_team(day)]
    now = datetime.combine(day, time(8), tzinfo=ZONE).astimezone(UTC)
    until = stable_until(day, teams, ZONE, now)
    # 08:00 + 2 h lead: 10:00 is the first start offered; it stays offered until 08:00 exactly
    assert until == datetime.combine(day, time(10), tzinfo=ZONE) - MIN_LEAD_TIME
    answer = suggest(day, teams, 180, ZONE, now)
    assert suggest(day, teams, 180, ZONE, until) == answer
    assert suggest(day, teams, 180, ZONE, until + timedelta(microseconds=1)) != answer


def test_an_answer_past_its_deadline_is_computed_again():
    computed = []

    def compute(until):
        def run():
            computed.append(until)
            return b"{}", until

        return run

    key = ("tenant", 0, 0, "question-" + datetime.now(UTC).isoformat())
    past = datetime.now(UTC) - timedelta(seconds=1)
    future = datetime.now(UTC) + timedelta(hours=1)
    slot_cache.answer(key, compute(past))
    slot_cache.answer(key, compute(future))  # the first one had expired
    slot_cache.answer(key, compute(future))  # served from the cache
    assert computed == [past, future]


def test_without_the_availability_version_the_cache_is_bypassed():
    calls = []

    def compute():
        calls.append(1)
        return b"{}", datetime.now(UTC) + timedelta(hours=1)

    assert slot_cache.key(None, "any", "question") is None
    slot_cache.answer(None, compute)
    slot_cache.answer(None, compute)
    assert len(calls) == 2
