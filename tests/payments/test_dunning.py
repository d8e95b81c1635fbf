"""Dunning (SPEC §5.11): ``invoice_overdue`` 3 and 7 days after the due date, once each, at
09:00 tenant-local, with the pay link; paid, void and refunded invoices are never dunned."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update

from tenantapp.invoices.models import Invoice
from tests.invoices.helpers import InTenant, outbox_topics
from tests.payments.invoice_helpers import issued, post
from tests.support import runtime_of

ZONE = ZoneInfo("America/Edmonton")


def _due_on(client, tenant, inv, due: date):
    with InTenant(runtime_of(client), tenant) as sess:
        sess.execute(update(Invoice).where(Invoice.id == inv["id"]).values(due_date=due))
        sess.commit()


def _run(client, tenant, local: datetime) -> dict:
    from tenantapp.invoices.dunning import run_dunning

    with InTenant(runtime_of(client), tenant):
        return run_dunning(local.replace(tzinfo=ZONE))


def _sent(client, tenant) -> list[str]:
    return sorted(
        k for t, _, k in outbox_topics(runtime_of(client), tenant) if t == "invoice_overdue"
    )


def test_overdue_notices_go_3_and_7_days_after_the_due_date_once_each(client, connected):
    tenant, _ = connected
    inv = issued(client, tenant, 10000)
    due = date(2026, 11, 2)
    _due_on(client, tenant, inv, due)
    day = datetime(2026, 11, 5, 8, 59)  # day 3, before 09:00 local
    assert _run(client, tenant, day) == {"sent": 0}
    assert _run(client, tenant, day.replace(hour=9, minute=0)) == {"sent": 1}
    assert _run(client, tenant, day.replace(hour=18)) == {"sent": 0}
    assert _run(client, tenant, datetime(2026, 11, 8, 23, 0)) == {"sent": 0}  # day 6
    assert _run(client, tenant, datetime(2026, 11, 9, 9, 0)) == {"sent": 1}  # day 7
    assert _run(client, tenant, datetime(2026, 12, 30, 9, 0)) == {"sent": 0}
    assert _sent(client, tenant) == [
        f"invoice_overdue:{inv['id']}:3",
        f"invoice_overdue:{inv['id']}:7",
    ]


def test_a_late_run_sends_only_the_7_day_notice(client, connected):
    tenant, _ = connected
    inv = issued(client, tenant, 10000)
    _due_on(client, tenant, inv, date(2026, 11, 2))
    assert _run(client, tenant, datetime(2026, 11, 20, 10, 0)) == {"sent": 1}
    assert _sent(client, tenant) == [f"invoice_overdue:{inv['id']}:7"]


def test_paid_void_and_refunded_invoices_are_not_dunned(client, connected):
    tenant, _ = connected
    paid = issued(client, tenant, 10000)
    post(
        client,
        tenant,
        f"/admin/invoices/{paid['id']}/payments",
        {"amount_cents": 10000, "method": "cash"},
        status=201,
    )
    void = issued(client, tenant, 5000)
    post(client, tenant, f"/admin/invoices/{void['id']}/void", {"reason": "dup"}, key=False)
    refunded = issued(client, tenant, 3000)
    post(
        client,
        tenant,
        f"/admin/invoices/{refunded['id']}/payments",
        {"amount_cents": 3000, "method": "cash"},
        status=201,
    )
    post(
        client,
        tenant,
        f"/admin/invoices/{refunded['id']}/refunds",
        {"amount_cents": 3000, "reason": "bad job"},
        status=201,
    )
    for inv in (paid, void, refunded):
        _due_on(client, tenant, inv, date(2026, 11, 2))
    assert _run(client, tenant, datetime(2026, 11, 9, 9, 0)) == {"sent": 0}
    assert _sent(client, tenant) == []


def test_the_due_work_index_is_told_when_the_first_notice_falls_due(client, connected):
    from tenantapp.invoices.dunning import first_notice_at, next_due

    tenant, _ = connected
    inv = issued(client, tenant, 10000)
    _due_on(client, tenant, inv, date(2026, 11, 2))
    with InTenant(runtime_of(client), tenant) as sess:
        when = sess.scalar(next_due("America/Edmonton"))
        assert when == first_notice_at(date(2026, 11, 2))
    assert when == datetime(2026, 11, 5, 9, 0, tzinfo=ZONE)
    _run(client, tenant, datetime(2026, 11, 5, 9, 0))
    with InTenant(runtime_of(client), tenant) as sess:
        assert sess.scalar(next_due("America/Edmonton")) == datetime(2026, 11, 9, 9, 0, tzinfo=ZONE)
