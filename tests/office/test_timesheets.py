"""GET /admin/timesheets (SPEC §5.9): per worker and tenant-local day, DST days 23/25 h."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import update

from tenantapp.bookings.models import Booking, BookingWorker
from tenantapp.timetracking.models import TimeEntry, TimeSegment
from tenantapp.workers.models import Worker
from tests.bookings.conftest import at, book, make_lead, monday
from tests.office.helpers import in_tenant

ZONE = ZoneInfo("America/Edmonton")
FALL_BACK = "2026-11-01"  # 25 hours in Edmonton
SPRING_FORWARD = "2026-03-08"  # 23 hours


def local(text: str) -> datetime:
    """A local wall time as a UTC instant (so adding minutes adds real minutes, DST or not)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE).astimezone(UTC)


def add_worker(runtime, tenant, name, **pay) -> int:
    with in_tenant(runtime, tenant) as sess:
        worker = Worker(name=name, email=f"{name.lower().replace(' ', '.')}@example.com", **pay)
        sess.add(worker)
        sess.commit()
        return worker.id


def add_booking(client, runtime, tenant, start: datetime, minutes: int, crew, status="CONFIRMED"):
    lead = make_lead(client, tenant, email=f"ts{start.timestamp():.0f}{len(crew)}@example.com")
    resp = book(client, tenant, lead["lead_id"], at(monday(), "09:00"))
    assert resp.status_code == 201, resp.get_json()
    booking_id = resp.get_json()["id"]
    with in_tenant(runtime, tenant) as sess:
        sess.execute(
            update(Booking)
            .where(Booking.id == booking_id)
            .values(starts_at=start, ends_at=start + timedelta(minutes=minutes), status=status)
        )
        sess.add_all(BookingWorker(booking_id=booking_id, worker_id=w) for w in crew)
        sess.commit()
    return booking_id


def clock(runtime, tenant, booking_id, worker_id, start: datetime, minutes: int):
    with in_tenant(runtime, tenant) as sess:
        entry = TimeEntry(booking_id=booking_id, worker_id=worker_id, state="FINISHED")
        sess.add(entry)
        sess.flush()
        sess.add(
            TimeSegment(
                entry_id=entry.id, started_at=start, ended_at=start + timedelta(minutes=minutes)
            )
        )
        sess.commit()


def sheet(client, tenant, start, end, **params):
    return client.get(
        tenant.url("/admin/timesheets"),
        query_string={"from": start, "to": end, **params},
        headers=tenant.headers,
    )


def test_dst_days_have_25_and_23_hours(client, runtime, tenant):
    wid = add_worker(runtime, tenant, "Night Owl", hourly_rate_cents=1000)
    for day in (FALL_BACK, SPRING_FORWARD):
        start = local(f"{day}T00:00")
        next_day = (start + timedelta(days=1)).date().isoformat()
        booking = add_booking(client, runtime, tenant, start, 600, [wid])
        clock(runtime, tenant, booking, wid, start, 1)
        # a real day's worth: local midnight to the next local midnight
        end = local(f"{next_day}T00:00")
        with in_tenant(runtime, tenant) as sess:
            sess.execute(
                update(TimeSegment).where(TimeSegment.started_at == start).values(ended_at=end)
            )
            sess.commit()
    rows = {}
    for start, end in ((SPRING_FORWARD, "2026-03-09"), ("2026-10-31", "2026-11-02")):
        rows.update({r["date"]: r for r in sheet(client, tenant, start, end).get_json()["items"]})
    assert rows[FALL_BACK]["day_hours"] == 25
    assert rows[FALL_BACK]["clocked_minutes"] == 25 * 60
    assert rows[FALL_BACK]["pay_cents"] == 25 * 1000
    assert rows[SPRING_FORWARD]["day_hours"] == 23
    assert rows[SPRING_FORWARD]["clocked_minutes"] == 23 * 60
    assert rows[SPRING_FORWARD]["scheduled_minutes"] == 600
    assert rows[SPRING_FORWARD]["jobs"] == 1


def test_time_across_midnight_is_split_between_local_days(client, runtime, tenant):
    wid = add_worker(runtime, tenant, "Late Shift", hourly_rate_cents=3000)
    start = local("2026-06-10T23:00")
    booking = add_booking(client, runtime, tenant, start, 120, [wid])
    clock(runtime, tenant, booking, wid, start, 90)
    rows = sheet(client, tenant, "2026-06-10", "2026-06-12").get_json()["items"]
    assert [(r["date"], r["scheduled_minutes"], r["clocked_minutes"], r["jobs"]) for r in rows] == [
        ("2026-06-10", 60, 60, 1),
        ("2026-06-11", 60, 30, 0),
    ]
    assert [r["pay_cents"] for r in rows] == [3000, 1500]


def test_days_at_the_periods_edges(client, runtime, tenant):
    # Days are found by bisection over the local midnights: time before the period counts
    # from its first midnight, a job starting on a midnight is that day's, and a job starting
    # at the period's end is not in it.
    wid = add_worker(runtime, tenant, "Edge Case", hourly_rate_cents=6000)  # 100 cents a minute
    early = local("2026-06-09T22:00")
    crossing = add_booking(client, runtime, tenant, early, 180, [wid])
    clock(runtime, tenant, crossing, wid, early, 180)
    first = local("2026-06-10T00:00")
    on_midnight = add_booking(client, runtime, tenant, first, 30, [wid])
    clock(runtime, tenant, on_midnight, wid, first, 30)
    end = local("2026-06-11T00:00")
    at_end = add_booking(client, runtime, tenant, end, 45, [wid])
    clock(runtime, tenant, at_end, wid, end, 45)

    def days(start, stop):
        rows = sheet(client, tenant, start, stop).get_json()["items"]
        return [
            (r["date"], r["scheduled_minutes"], r["clocked_minutes"], r["jobs"], r["pay_cents"])
            for r in rows
        ]

    assert days("2026-06-10", "2026-06-11") == [("2026-06-10", 90, 90, 1, 9000)]
    assert days("2026-06-10", "2026-06-12") == [
        ("2026-06-10", 90, 90, 1, 9000),
        ("2026-06-11", 45, 45, 1, 4500),
    ]
    assert days("2026-06-09", "2026-06-10") == [("2026-06-09", 120, 120, 1, 12000)]


def test_pay_by_pay_type(client, runtime, tenant):
    flat = add_worker(runtime, tenant, "Flat Fee", pay_type="flat", pay_flat_cents=5000)
    pct_a = add_worker(runtime, tenant, "Percent A", pay_type="percent", pay_percent=Decimal(40))
    pct_b = add_worker(runtime, tenant, "Percent B", pay_type="percent", pay_percent=Decimal(40))
    start = local("2026-06-15T09:00")
    done = add_booking(client, runtime, tenant, start, 180, [flat, pct_a, pct_b], status="DONE")
    add_booking(client, runtime, tenant, start + timedelta(hours=4), 60, [flat])  # not done
    clock(runtime, tenant, done, pct_a, start, 60)
    clock(runtime, tenant, done, pct_b, start, 180)
    with in_tenant(runtime, tenant) as sess:
        labour = sess.get(Booking, done).estimate["labor_cents"]
    body = sheet(client, tenant, "2026-06-15", "2026-06-16").get_json()
    rows = {r["worker_name"]: r for r in body["items"]}
    assert rows["Flat Fee"]["jobs"] == 2 and rows["Flat Fee"]["pay_cents"] == 5000
    # 40 % of the labour, shared 60:180 by clocked minutes (pre-discount labour)
    assert rows["Percent A"]["pay_cents"] == round(labour * 0.4 * 0.25)
    assert rows["Percent B"]["pay_cents"] == round(labour * 0.4 * 0.75)
    only = sheet(client, tenant, "2026-06-15", "2026-06-16", worker_id=pct_a).get_json()
    assert [r["worker_id"] for r in only["items"]] == [pct_a]
    assert only["totals"][0]["pay_cents"] == rows["Percent A"]["pay_cents"]


def test_csv_is_formula_safe(client, runtime, tenant):
    wid = add_worker(runtime, tenant, "=HYPERLINK(1)", hourly_rate_cents=100)
    start = local("2026-06-20T10:00")
    booking = add_booking(client, runtime, tenant, start, 60, [wid])
    clock(runtime, tenant, booking, wid, start, 60)
    resp = sheet(client, tenant, "2026-06-20", "2026-06-21", format="csv")
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][:3] == ["worker_id", "worker_name", "date"]
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][5] == "60"


def test_range_is_checked(client, tenant):
    assert sheet(client, tenant, "2026-01-01", "2026-04-04").status_code == 200  # 93 days
    assert sheet(client, tenant, "2026-01-01", "2026-04-05").status_code == 422  # 94 days
    assert sheet(client, tenant, "2026-01-02", "2026-01-02").status_code == 422
    assert client.get(tenant.url("/admin/timesheets"), headers=tenant.headers).status_code == 422
    assert sheet(client, tenant, "2026-01-01", "2026-01-02", format="xml").status_code == 422


def test_other_tenants_see_nothing(client, runtime, tenant, other_tenant):
    wid = add_worker(runtime, tenant, "Private Pat", hourly_rate_cents=100)
    start = local("2026-06-20T10:00")
    clock(runtime, tenant, add_booking(client, runtime, tenant, start, 60, [wid]), wid, start, 60)
    assert sheet(client, other_tenant, "2026-06-20", "2026-06-21").get_json()["items"] == []
    mine = sheet(client, other_tenant, "2026-06-20", "2026-06-21", worker_id=wid).get_json()
    assert mine["items"] == []
    foreign = client.get(
        tenant.url("/admin/timesheets"),
        query_string={"from": "2026-06-20", "to": "2026-06-21"},
        headers=other_tenant.headers,
    )
    assert foreign.status_code == 403


def test_pay_settings_are_part_of_the_worker(client, tenant):
    from tests.workforce.helpers import create_worker

    created = create_worker(client, tenant, pay_type="percent", pay_percent="100")
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["pay_type"], body["pay_percent"], body["pay_flat_cents"]) == (
        "percent",
        "100.00",
        0,
    )
    url = tenant.url(f"/admin/workers/{body['id']}")
    assert (
        client.patch(url, json={"pay_percent": "100.01"}, headers=tenant.headers).status_code == 422
    )
    assert (
        client.patch(url, json={"pay_type": "piecework"}, headers=tenant.headers).status_code == 422
    )
    flat = client.patch(
        url, json={"pay_type": "flat", "pay_flat_cents": 4500}, headers=tenant.headers
    )
    assert (flat.get_json()["pay_type"], flat.get_json()["pay_flat_cents"]) == ("flat", 4500)
    default = create_worker(client, tenant).get_json()
    assert (default["pay_type"], default["pay_percent"]) == ("hourly", "0.00")


def test_a_page_of_workers_is_the_same_as_the_whole_sheet_cut_to_them(client, runtime, tenant):
    # The console lists workers_with_time and computes only a page of them: the list must be the
    # whole sheet's workers in its order, and a page's rows and totals the whole sheet's, even
    # for a percent worker whose share counts a crew-mate not on the page.
    from tenantapp.timesheets.service import timesheet, workers_with_time

    zed = add_worker(runtime, tenant, "Zed", hourly_rate_cents=1200)
    anna = add_worker(runtime, tenant, "anna", pay_type="percent", pay_percent=Decimal(30))
    bob = add_worker(runtime, tenant, "Bob", pay_type="flat", pay_flat_cents=2500)
    late = add_worker(runtime, tenant, "Clocked Only", hourly_rate_cents=900)
    cancelled = add_worker(runtime, tenant, "Cancelled Only", hourly_rate_cents=900)
    blink = add_worker(runtime, tenant, "Zero Length", hourly_rate_cents=900)
    start = local("2026-06-16T09:00")
    shared = add_booking(client, runtime, tenant, start, 120, [anna, zed], status="DONE")
    clock(runtime, tenant, shared, anna, start, 30)
    clock(runtime, tenant, shared, zed, start, 90)
    add_booking(client, runtime, tenant, start + timedelta(hours=3), 60, [bob], status="DONE")
    add_booking(client, runtime, tenant, start, 60, [cancelled], status="CANCELLED")
    # Clocked on a booking of the week before, whose crew is someone else.
    before = add_booking(client, runtime, tenant, start - timedelta(days=7), 60, [bob])
    clock(runtime, tenant, before, late, start + timedelta(hours=5), 45)
    clock(runtime, tenant, before, blink, start + timedelta(hours=6), 0)

    with in_tenant(runtime, tenant):
        day, after = datetime(2026, 6, 16).date(), datetime(2026, 6, 17).date()
        whole = timesheet(day, after, None)
        listed = [w.id for w in workers_with_time(day, after)]
        assert listed == [t["worker_id"] for t in whole["totals"]]
        assert listed == [bob, late, zed, anna]  # Python's order: capitals before "anna"
        for page in ([bob, late], [zed, anna], [anna], []):
            part = timesheet(day, after, None, only=page)
            assert part["totals"] == [t for t in whole["totals"] if t["worker_id"] in page]
            assert part["items"] == [i for i in whole["items"] if i["worker_id"] in page]
        assert timesheet(day, after, anna, only=[zed])["totals"] == []
    assert {cancelled, blink}.isdisjoint(listed)
