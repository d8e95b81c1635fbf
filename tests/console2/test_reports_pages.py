"""Reports in the console (SPEC §5.14, §5.8): SVG charts drawn by the server with their numbers
in a table, the week and month windows at their edges, and each section behind the API's
permission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, update

from tenantapp.bookings.models import Booking
from tenantapp.console import reports
from tenantapp.reviews.models import Review
from tests.console.helpers import add_member, console, signed_in
from tests.customers.helpers import customer_with_property, staff_book
from tests.invoices.helpers import InTenant, post
from tests.payments.invoice_helpers import issued
from tests.support import runtime_of
from tests.workforce.helpers import create_worker


def _today(runtime, tenant):
    with InTenant(runtime, tenant):
        from tenantapp.settings.service import tenant_zone

        return datetime.now(tenant_zone()).date(), tenant_zone()


def _booking_at(client, runtime, tenant, starts_at: datetime, status="CONFIRMED") -> int:
    from tests.bookings.conftest import monday

    customer, prop = customer_with_property(client, tenant)
    made = staff_book(client, tenant, customer, prop, monday(), skip_deposit=True).get_json()
    with InTenant(runtime, tenant) as sess:
        sess.execute(
            update(Booking)
            .where(Booking.id == made["id"])
            .values(
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                status=status,
            )
        )
        sess.commit()
    return made["id"]


def test_the_owner_sees_four_charts_with_their_tables(client, tenant):
    inv = issued(client, tenant, 10000)
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 2500, "method": "cash"},
        status=201,
    )
    signed_in(client, tenant)
    page = client.get(console(tenant, "/reports"))
    assert page.status_code == 200
    for chart_id in ("chart-revenue", "chart-bookings", "chart-aging", "chart-nps"):
        assert f'id="{chart_id}' in page.text, chart_id
    assert page.text.count('role="img"') == 4 and "<script" not in page.text.split("<main")[-1]
    for heading in ("Revenue by month", "Bookings by week", "AR aging", "NPS by worker"):
        assert f">{heading}</h2>" in page.text
    this_month = datetime.now(UTC).strftime("%b %Y")  # the tenant's month on all but its edges
    row = page.text[page.text.index(f'<th scope="row">{this_month}</th>') :].split("</tr>")[0]
    assert f"{inv['subtotal_cents'] // 100:,}.{inv['subtotal_cents'] % 100:02d}" in row
    assert "25.00" in row  # collected
    assert "No reviews yet" in page.text


def test_bookings_by_week_counts_twelve_local_weeks_at_their_edges(client, tenant):
    runtime = runtime_of(client)
    today, zone = _today(runtime, tenant)
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=11)
    start = datetime.combine(first_monday, datetime.min.time(), tzinfo=zone)
    inside = _booking_at(client, runtime, tenant, start + timedelta(minutes=1), "DONE")
    _booking_at(client, runtime, tenant, start - timedelta(minutes=1), "DONE")  # the week before
    _booking_at(client, runtime, tenant, start + timedelta(days=6, hours=23), "CANCELLED")
    with InTenant(runtime, tenant):
        mondays, counts = reports.bookings_by_week(today)
    assert len(mondays) == 12 and mondays[0] == first_monday
    assert counts["done"][0] == 1 and counts["cancelled"][0] == 1
    assert sum(counts["done"]) == 1
    signed_in(client, tenant)
    page = client.get(console(tenant, "/reports"))
    label = first_monday.strftime("%b %d").replace(" 0", " ")
    row = page.text[page.text.index(f'<th scope="row">{label}</th>') :].split("</tr>")[0]
    assert row.count('<td class="num">1</td>') == 2, row
    assert inside


def test_nps_by_worker_from_submitted_reviews(client, tenant):
    runtime = runtime_of(client)
    worker = create_worker(client, tenant, name="Ana Promoter").get_json()
    customer, prop = customer_with_property(client, tenant)
    from tests.bookings.conftest import monday

    booking = staff_book(client, tenant, customer, prop, monday(), skip_deposit=True).get_json()
    with InTenant(runtime, tenant) as sess:
        now = datetime.now(UTC)
        for i, score in enumerate((10, 10, 3)):
            sess.execute(
                insert(Review).values(
                    booking_id=booking["id"] * 10 + i,
                    customer_id=customer["id"],
                    worker_ids=[worker["id"]],
                    score=score,
                    submitted_at=now - timedelta(days=1),
                )
            )
        sess.commit()
    signed_in(client, tenant)
    page = client.get(console(tenant, "/reports"))
    row = page.text[page.text.index('<th scope="row">Ana Promoter</th>') :].split("</tr>")[0]
    assert ">33.3<" in row and ">7.67<" in row and ">3<" in row  # (2-1)/3 NPS, average, count


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("viewer", ["chart-bookings"], ["chart-revenue", "chart-aging", "chart-nps"]),
        ("dispatcher", ["chart-bookings"], ["chart-revenue", "chart-aging", "chart-nps"]),
        ("finance", ["chart-revenue", "chart-aging", "chart-bookings"], ["chart-nps"]),
    ],
)
def test_each_chart_follows_the_apis_permission(client, runtime, tenant, role, shown, hidden):
    issued(client, tenant, 5000)
    signed_in(client, tenant, add_member(runtime, tenant, role))
    page = client.get(console(tenant, "/reports"))
    assert page.status_code == 200
    for chart_id in shown:
        assert f'id="{chart_id}' in page.text, (role, chart_id)
    for chart_id in hidden:
        assert f'id="{chart_id}' not in page.text, (role, chart_id)
    assert "needs the" in page.text


def test_aging_as_of_a_past_day_counts_invoices_settled_since(client, tenant):
    """ar_aging reads only invoices that can owe on the day: one paid (or credited) after it
    still owed then; one paid on or before it did not."""
    from tenantapp.invoices.models import Invoice, InvoicePayment

    runtime = runtime_of(client)
    today, _ = _today(runtime, tenant)
    paid_later = issued(client, tenant, 10000)
    credited_later = issued(client, tenant, 5000)
    paid_before = issued(client, tenant, 3000)
    for inv in (paid_later, paid_before):
        post(
            client,
            tenant,
            f"/admin/invoices/{inv['id']}/payments",
            {"amount_cents": inv["total_cents"], "method": "cash"},
            status=201,
        )
    post(
        client,
        tenant,
        f"/admin/invoices/{credited_later['id']}/credit-notes",
        {
            "lines": [{"kind": "custom", "description": "Goodwill", "unit_price_cents": 5000}],
            "reason": "Goodwill",
        },
        status=201,
    )
    with InTenant(runtime, tenant) as sess:
        ids = [paid_later["id"], credited_later["id"], paid_before["id"]]
        sess.execute(
            update(Invoice)
            .where(Invoice.id.in_(ids))
            .values(issue_date=today - timedelta(days=20), due_date=today - timedelta(days=10))
        )
        sess.execute(
            update(InvoicePayment)
            .where(InvoicePayment.invoice_id == paid_before["id"])
            .values(received_on=today - timedelta(days=2))
        )
        sess.commit()
    with InTenant(runtime, tenant):
        from tenantapp.reports import finance

        now = finance.ar_aging(today)
        before = finance.ar_aging(today - timedelta(days=1))
    assert now["totals"]["total_cents"] == 0
    owed = paid_later["total_cents"] + credited_later["total_cents"]
    assert before["totals"]["total_cents"] == before["totals"]["days_1_30"] == owed
    assert sum(r["invoices"] for r in before["customers"]) == 2


def test_revenue_by_month_matches_revenue_month_by_month(client, tenant):
    """The chart's grouped figures equal ``finance.revenue`` of each month, at month edges."""
    from tenantapp.invoices.models import Invoice, InvoicePayment

    runtime = runtime_of(client)
    today, _ = _today(runtime, tenant)
    first_of_month = today.replace(day=1)
    last_of_previous = first_of_month - timedelta(days=1)
    a = issued(client, tenant, 10000)
    b = issued(client, tenant, 4000)
    post(
        client,
        tenant,
        f"/admin/invoices/{a['id']}/payments",
        {"amount_cents": 6000, "method": "cash"},
        status=201,
    )
    post(
        client,
        tenant,
        f"/admin/invoices/{a['id']}/refunds",
        {"amount_cents": 1000, "reason": "Late"},
        status=201,
    )
    with InTenant(runtime, tenant) as sess:
        sess.execute(
            update(Invoice).where(Invoice.id == b["id"]).values(issue_date=last_of_previous)
        )
        sess.execute(
            update(InvoicePayment)
            .where(InvoicePayment.invoice_id == a["id"])
            .values(received_on=first_of_month)
        )
        sess.commit()
    from tenantapp.reports import finance

    start = (first_of_month - timedelta(days=40)).replace(day=1)
    with InTenant(runtime, tenant):
        grouped = finance.revenue_by_month(start, 3)
        one_by_one = []
        for row in grouped:
            m = row["month"]
            nxt = (m + timedelta(days=32)).replace(day=1)
            one_by_one.append({"month": m, **finance.revenue(m, nxt)})
    assert grouped == one_by_one
    assert grouped[1]["invoiced_cents"] == b["subtotal_cents"]  # the last day of last month
    assert grouped[2]["collected_cents"] == 5000 and grouped[2]["refunded_cents"] == 1000


def test_the_charts_aging_totals_equal_the_aging_report_today(client, tenant):
    """``aging_totals_today`` (one grouped query) gives ``ar_aging(today)``'s totals: buckets at
    their edges, part payments, a credit note, a refund, a void and a draft."""
    from tenantapp.invoices.models import Invoice
    from tenantapp.reports import finance

    runtime = runtime_of(client)
    today, _ = _today(runtime, tenant)
    ages = (0, 1, 30, 31, 60, 61, 90, 91)
    made = [issued(client, tenant, 1000 + days) for days in ages]
    post(
        client,
        tenant,
        f"/admin/invoices/{made[1]['id']}/payments",
        {"amount_cents": 500, "method": "cash"},
        status=201,
    )
    post(
        client,
        tenant,
        f"/admin/invoices/{made[2]['id']}/credit-notes",
        {
            "lines": [{"kind": "custom", "description": "x", "unit_price_cents": 300}],
            "reason": "Goodwill",
        },
        status=201,
    )
    post(
        client,
        tenant,
        f"/admin/invoices/{made[3]['id']}/payments",
        {"amount_cents": made[3]["total_cents"], "method": "cash"},
        status=201,
    )
    post(
        client,
        tenant,
        f"/admin/invoices/{made[3]['id']}/refunds",
        {"amount_cents": 200, "reason": "Late"},
        status=201,
    )
    void = issued(client, tenant, 7000)
    post(client, tenant, f"/admin/invoices/{void['id']}/void", {"reason": "x"})
    post(
        client,
        tenant,
        "/admin/invoices",
        {
            "customer_id": made[0]["customer_id"],
            "lines": [{"kind": "custom", "description": "draft", "unit_price_cents": 9900}],
        },
        status=201,
    )
    with InTenant(runtime, tenant) as sess:
        for inv, days in zip(made, ages, strict=True):
            sess.execute(
                update(Invoice)
                .where(Invoice.id == inv["id"])
                .values(
                    issue_date=today - timedelta(days=days + 5),
                    due_date=today - timedelta(days=days),
                )
            )
        sess.commit()
    with InTenant(runtime, tenant):
        fast = finance.aging_totals_today()
        full = finance.ar_aging(today)["totals"]
    assert fast == full
    assert all(fast[b] for b in finance.BUCKETS) and fast["total_cents"] > 0


def test_aging_counts_a_void_invoice_only_before_the_day_it_was_voided(client, tenant):
    """One grouped query keeps ar_aging's rules: a voided invoice owes on the days before the
    void, not from its local day on; a payment counts from the day it was received; 30 days past
    due is 1-30, 31 is 31-60."""
    from tenantapp.invoices.models import Invoice

    runtime = runtime_of(client)
    today, _ = _today(runtime, tenant)
    voided = issued(client, tenant, 4000)
    part = issued(client, tenant, 9000, cid=voided["customer_id"])
    post(client, tenant, f"/admin/invoices/{voided['id']}/void", {"reason": "Twice"}, key=False)
    post(
        client,
        tenant,
        f"/admin/invoices/{part['id']}/payments",
        {"amount_cents": 1000, "method": "cash"},
        status=201,
    )
    with InTenant(runtime, tenant) as sess:
        sess.execute(
            update(Invoice)
            .where(Invoice.id.in_([voided["id"], part["id"]]))
            .values(issue_date=today - timedelta(days=40), due_date=today - timedelta(days=31))
        )
        sess.commit()
    with InTenant(runtime, tenant):
        from tenantapp.reports import finance

        now = finance.ar_aging(today)
        before = finance.ar_aging(today - timedelta(days=1))
    (row,) = now["customers"]
    assert row["invoices"] == 1 and row["days_31_60"] == part["total_cents"] - 1000
    assert now["totals"]["total_cents"] == part["total_cents"] - 1000
    (row,) = before["customers"]
    assert row["invoices"] == 2
    # yesterday the cash (received today) was not in yet: the whole of both
    assert row["days_1_30"] == part["total_cents"] + voided["total_cents"]
