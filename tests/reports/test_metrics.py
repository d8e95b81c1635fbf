"""GET /admin/metrics (SPEC §5.8) over real bookings, JSON and formula-safe CSV."""

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from shared import db
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.bookings.models import Booking
from tenantapp.teams.models import Team
from tenantapp.timetracking.models import TimeEntry, TimeSegment
from tests.bookings.conftest import ZONE, at, book, make_lead, monday

PAT = {"email": "pat@example.com", "phone": "+1 403 555 0100"}
SAM = {"email": "sam@example.com", "phone": "+1 403 555 0101"}
LEE = {"email": "lee@example.com", "phone": "+1 403 555 0102"}


def _in_tenant(runtime, tenant):
    class Scope:
        def __enter__(self):
            self._rt = use_runtime(runtime)
            self._rt.__enter__()
            self._tc = tenant_context(runtime.tenants.by_id(tenant.id))
            self._tc.__enter__()
            return db.session()

        def __exit__(self, *exc):
            self._tc.__exit__(*exc)
            self._rt.__exit__(*exc)

    return Scope()


def _post(client, tenant, path, **body):
    resp = client.post(tenant.url(path), json=body, headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _done(client, runtime, tenant, booking, *, refund=0, worked_minutes=None):
    with _in_tenant(runtime, tenant) as sess:
        # the deposit, if any, is out of scope here: mark it paid so the booking can be confirmed
        sess.execute(
            update(Booking)
            .where(Booking.id == booking["id"])
            .values(deposit_status="paid", refund_cents=refund)
        )
        sess.commit()
    _post(client, tenant, f"/admin/bookings/{booking['id']}/confirm")
    _post(client, tenant, f"/admin/bookings/{booking['id']}/complete")
    if worked_minutes is not None:
        with _in_tenant(runtime, tenant) as sess:
            began = datetime(2030, 1, 1, 9, tzinfo=UTC)
            entry = TimeEntry(booking_id=booking["id"], state="FINISHED", started_at=began)
            sess.add(entry)
            sess.flush()
            middle = began + timedelta(minutes=worked_minutes // 2)
            sess.add(TimeSegment(entry_id=entry.id, started_at=began, ended_at=middle))
            end = (
                middle
                + timedelta(minutes=10)
                + timedelta(minutes=worked_minutes - worked_minutes // 2)
            )
            sess.add(
                TimeSegment(
                    entry_id=entry.id, started_at=middle + timedelta(minutes=10), ended_at=end
                )
            )
            entry.finished_at = end
            sess.commit()


def _scenario(client, runtime, tenant):
    """Pat: DONE on day 09:00 and again 21 days later; Sam: cancelled; Lee: a lead only."""
    day = monday()
    pat = make_lead(client, tenant, **PAT)
    first = book(client, tenant, pat["lead_id"], at(day, "09:00")).get_json()
    _done(
        client, runtime, tenant, first, refund=1_000, worked_minutes=first["duration_minutes"] + 30
    )
    sam = make_lead(client, tenant, **SAM)
    cancelled = book(client, tenant, sam["lead_id"], at(day, "14:00")).get_json()
    _post(client, tenant, f"/admin/bookings/{cancelled['id']}/cancel", reason="sick")
    make_lead(client, tenant, **LEE)
    again = make_lead(client, tenant, **PAT)
    later = book(client, tenant, again["lead_id"], at(day + timedelta(days=21), "09:00")).get_json()
    assert later["status"] in ("PENDING", "CONFIRMED"), later
    return day, first, later


def test_metrics_json(client, runtime, tenant):
    day, first, _ = _scenario(client, runtime, tenant)
    today = datetime.now(ZONE).date()
    url = tenant.url(f"/admin/metrics?from={today}&to={day + timedelta(days=1)}")
    resp = client.get(url, headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    m = resp.get_json()
    # 4 leads, 3 of them booked (pat twice, sam); the repeat booking starts after the range
    assert m["conversions"] == {
        "leads": 4,
        "bookings": 2,
        "confirmed": 1,
        "completed": 1,
        "lead_conversion_rate": 0.75,
    }
    net = first["total_cents"] - 1_000
    assert m["revenue_cents"] == net and m["average_order_value_cents"] == net
    acc = m["estimate_accuracy"]
    assert acc["jobs"] == 1 and acc["estimated_minutes"] == first["duration_minutes"]
    assert acc["actual_minutes"] == first["duration_minutes"] + 30
    assert acc["ratio"] == round((first["duration_minutes"] + 30) / first["duration_minutes"], 4)
    assert m["cancellation_rate"] == 0.5
    assert m["retention"] == {"customers": 1, "d30": 1.0, "d60": 1.0, "d90": 1.0}


def test_utilisation_and_retention_window_boundaries(client, runtime, tenant):
    day, first, later = _scenario(client, runtime, tenant)
    one_day = tenant.url(f"/admin/metrics?from={day}&to={day + timedelta(days=1)}")
    m = client.get(one_day, headers=tenant.headers).get_json()
    [team] = m["utilisation"]
    # seeded hours: Monday 09:00–18:00 = 540 minutes; the cancelled booking does not count
    assert team["available_minutes"] == 540
    assert team["booked_minutes"] == first["duration_minutes"]
    assert team["utilisation"] == round(first["duration_minutes"] / 540, 4)
    assert m["conversions"]["leads"] == 0  # leads count by creation date, today
    # the repeat booking is 21 days later: inside 30 days; move it to exactly 30 days, then 31
    for shift, d30 in ((30, 1.0), (31, 0.0)):
        with _in_tenant(runtime, tenant) as sess:
            starts = datetime.fromisoformat(first["starts_at"].replace("Z", "+00:00"))
            sess.execute(
                update(Booking)
                .where(Booking.id == later["id"])
                .values(
                    starts_at=starts + timedelta(days=shift),
                    ends_at=starts + timedelta(days=shift, minutes=later["duration_minutes"]),
                )
            )
            sess.commit()
        r = client.get(one_day, headers=tenant.headers).get_json()["retention"]
        assert (r["d30"], r["d60"]) == (d30, 1.0)


def test_metrics_csv_is_formula_safe(client, runtime, tenant):
    with _in_tenant(runtime, tenant) as sess:
        sess.execute(update(Team).values(name='=HYPERLINK("http://evil")'))
        sess.commit()
    day = monday()
    resp = client.get(
        tenant.url(f"/admin/metrics?from={day}&to={day + timedelta(days=7)}&format=csv"),
        headers=tenant.headers,
    )
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["section", "name", "value"]
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert any(c.startswith("utilisation:") for c in cells)
    team_rows = [r for r in rows if r[0].startswith("'=") or "HYPERLINK" in r[0]]
    assert team_rows and all(r[0].startswith("utilisation:") for r in team_rows)
    assert ["conversions", "bookings", "0"] in rows


def test_range_rules(client, tenant):
    day = monday()

    def get(q):
        return client.get(tenant.url(f"/admin/metrics?{q}"), headers=tenant.headers)

    assert get(f"from={day}&to={day}").status_code == 422
    assert get(f"from={day}&to={day + timedelta(days=366)}").status_code == 200
    assert get(f"from={day}&to={day + timedelta(days=367)}").status_code == 422
    assert get("").status_code == 200


def test_metrics_need_admin_and_refuse_other_tenants(
    client, tenant, other_tenant, operator_headers
):
    assert client.get(tenant.url("/admin/metrics")).status_code == 401
    assert client.get(tenant.url("/admin/metrics"), headers=other_tenant.headers).status_code == 403
    assert client.get(tenant.url("/admin/metrics"), headers=operator_headers).status_code in (
        401,
        403,
    )
