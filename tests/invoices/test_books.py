"""What the accountant gets (SPEC §5.11): the PDF, the Xero CSV, the payments CSV, AR aging, the
tax report and the revenue figures of /admin/metrics."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import update

from tenantapp.invoices.models import Invoice, InvoicePayment
from tests.invoices.helpers import (
    GST,
    PST,
    InTenant,
    customer_id,
    get,
    line,
    manual_invoice,
    post,
    settings,
)

ZONE = ZoneInfo("America/Edmonton")


def _today():
    return datetime.now(ZONE).date()


def _issue(client, tenant, lines, **kw):
    inv = manual_invoice(client, tenant, lines, **kw)
    return post(client, tenant, f"/admin/invoices/{inv['id']}/issue", key=False)


def _csv(resp) -> list[list[str]]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True))))


def test_the_pdf_shows_what_an_invoice_must(client, tenant):
    settings(
        client,
        tenant,
        tax_rates=[GST, PST],
        tax_number="123456789RT0001",
        contact_email="office@example.com",
        invoice_footer="Thank you for choosing us",
    )
    cid = customer_id(client, tenant, address="10230 Jasper Ave NW", postal_code="T5J 4P6")
    inv = _issue(
        client,
        tenant,
        [
            line(20000, "service", description="Deep clean"),
            line(3000, "add_on", description="Oven"),
        ],
        cid=cid,
    )
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 5000, "method": "etransfer", "reference": "ET-77"},
        status=201,
    )
    resp = client.get(tenant.url(f"/admin/invoices/{inv['id']}/pdf"), headers=tenant.headers)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)
    for expected in (
        f"{tenant.slug} Cleaning",  # company
        "123456789RT0001",  # tax number and GST registration
        inv["number"],
        _today().isoformat(),  # issue and due date
        "Pat Customer",
        "10230 Jasper Ave NW",  # property (the lead's address until properties land)
        "Deep clean",
        "Oven",
        "11.50",  # GST on 230.00
        "14.00",  # PST on 200.00 (the oven is exempt)
        "255.50",  # total
        "ET-77",  # the payment
        "205.50",  # amount due
        "Thank you for choosing us",
    ):
        assert expected in text, expected


def test_a_foreign_or_unknown_invoice_pdf_is_not_found(client, tenant, other_tenant):
    inv = _issue(client, tenant, [line(100)])
    url = f"/admin/invoices/{inv['id']}/pdf"
    assert client.get(tenant.url(url), headers=other_tenant.headers).status_code == 403
    assert client.get(other_tenant.url(url), headers=other_tenant.headers).status_code == 404
    assert (
        client.get(
            other_tenant.url(f"/admin/invoices/{inv['id']}"), headers=other_tenant.headers
        ).status_code
        == 404
    )
    assert (
        client.get(tenant.url("/admin/invoices/999999/pdf"), headers=tenant.headers).status_code
        == 404
    )


def test_xero_csv_has_one_row_per_line_with_tax_types_and_is_formula_safe(client, tenant):
    settings(
        client,
        tenant,
        tax_rates=[{**GST, "accounting_code": "GST on Income"}, PST],
        accounting_revenue_account="4000",
    )
    inv = _issue(
        client,
        tenant,
        [
            line(20000, "service", description='=HYPERLINK("http://evil")'),
            line(3000, "add_on", qty="1.5", description="Oven"),
            line(-1000, "discount", description="Weekly discount"),
            line(500, "tip", description="Tip"),
        ],
    )
    manual_invoice(client, tenant, [line(999)])  # a draft: no number, not exported
    rows = _csv(client.get(tenant.url("/admin/invoices?format=csv"), headers=tenant.headers))
    assert rows[0] == [
        "ContactName",
        "EmailAddress",
        "InvoiceNumber",
        "InvoiceDate",
        "DueDate",
        "Description",
        "Quantity",
        "UnitAmount",
        "AccountCode",
        "TaxType",
        "Currency",
    ]
    body = rows[1:]
    assert len(body) == 4 and {r[2] for r in body} == {inv["number"]}
    assert body[0][5] == '\'=HYPERLINK("http://evil")'
    assert body[0][0] == "Pat Customer" and body[0][1] == "pat@example.com"
    assert body[0][3] == body[0][4] == _today().isoformat()
    assert [r[6] for r in body] == ["1", "1.5", "1", "1"]
    assert [r[7] for r in body] == ["200.00", "30.00", "'-10.00", "5.00"]
    assert {r[8] for r in body} == {"4000"}
    assert [r[9] for r in body] == [
        "GST on Income+PST",
        "GST on Income",
        "GST on Income+PST",
        "Tax Exempt",
    ]
    assert {r[10] for r in body} == {"CAD"}


def test_payments_report_and_csv(client, tenant):
    inv = _issue(client, tenant, [line(10000)])
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 10000, "method": "cash", "reference": "+cash"},
        status=201,
    )
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/refunds",
        {"amount_cents": 2500, "reason": "Missed the oven"},
        status=201,
    )
    today = _today()
    span = f"from={today}&to={today + timedelta(days=1)}"
    report = get(client, tenant, f"/admin/reports/payments?{span}")
    assert (report["received_cents"], report["refunded_cents"], report["net_cents"]) == (
        10000,
        2500,
        7500,
    )
    rows = _csv(
        client.get(tenant.url(f"/admin/reports/payments?{span}&format=csv"), headers=tenant.headers)
    )
    assert rows[0] == ["date", "invoice_number", "method", "amount", "stripe_reference"]
    assert rows[1:] == [
        [today.isoformat(), inv["number"], "cash", "100.00", ""],
        [today.isoformat(), inv["number"], "refund", "'-25.00", ""],
    ]
    tomorrow = get(
        client,
        tenant,
        f"/admin/reports/payments?from={today + timedelta(days=1)}&to={today + timedelta(days=2)}",
    )
    assert tomorrow["items"] == []


def test_ar_aging_buckets_by_days_past_due_as_of_a_date(client, runtime, tenant):
    today = _today()
    ages = {"current": 0, "days_1_30": 30, "days_31_60": 31, "days_61_90": 90, "days_over_90": 91}
    ids = {}
    for bucket, days in ages.items():
        ids[bucket] = _issue(client, tenant, [line(1000 + days)])["id"]
    sam = customer_id(client, tenant, email="sam@example.com", phone="+1 403 555 0101")
    other = _issue(client, tenant, [line(5000)], cid=sam)
    post(
        client,
        tenant,
        f"/admin/invoices/{other['id']}/payments",
        {"amount_cents": 2000, "method": "cash"},
        status=201,
    )
    paid = _issue(client, tenant, [line(700)], cid=sam)
    post(
        client,
        tenant,
        f"/admin/invoices/{paid['id']}/payments",
        {"amount_cents": 700, "method": "cash"},
        status=201,
    )
    with InTenant(runtime, tenant) as sess:
        for bucket, days in ages.items():
            sess.execute(
                update(Invoice)
                .where(Invoice.id == ids[bucket])
                .values(
                    issue_date=today - timedelta(days=days + 5),
                    due_date=today - timedelta(days=days),
                )
            )
        sess.commit()
    report = get(client, tenant, f"/admin/reports/ar-aging?as_of={today}")
    pat, sam_row = sorted(report["customers"], key=lambda r: r["name"])
    assert pat["name"] == "Pat Customer"
    assert {b: pat[b] for b in ages} == {b: 1000 + d for b, d in ages.items()}
    assert (sam_row["current"], sam_row["invoices"]) == (3000, 1)  # the paid one is not owed
    assert report["totals"]["total_cents"] == sum(1000 + d for d in ages.values()) + 3000
    # as of a date before the payment and before most invoices were issued
    earlier = get(client, tenant, f"/admin/reports/ar-aging?as_of={today - timedelta(days=60)}")
    assert earlier["totals"]["total_cents"] == (1000 + 90) + (1000 + 91)


def test_tax_report_is_per_rate_and_net_of_credit_notes(client, runtime, tenant):
    settings(client, tenant, tax_rates=[GST, PST])
    inv = _issue(client, tenant, [line(20000, "service"), line(3000, "add_on")])
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/credit-notes",
        {"lines": [line(2000, "service")], "reason": "Late"},
        status=201,
        key=False,
    )
    voided = _issue(client, tenant, [line(50000)])
    post(client, tenant, f"/admin/invoices/{voided['id']}/void", {"reason": "x"}, key=False)
    today = _today()
    report = get(client, tenant, f"/admin/reports/tax?from={today}&to={today + timedelta(days=1)}")
    gst, pst = report["rates"]
    assert (gst["code"], gst["invoiced_taxable_cents"], gst["invoiced_tax_cents"]) == (
        "GST",
        23000,
        1150,
    )
    assert (gst["credited_tax_cents"], gst["net_tax_cents"]) == (100, 1050)
    assert (pst["invoiced_taxable_cents"], pst["invoiced_tax_cents"]) == (20000, 1400)
    assert (pst["credited_tax_cents"], pst["net_tax_cents"]) == (140, 1260)
    assert report["total_tax_cents"] == 2310
    bad = client.get(
        tenant.url(f"/admin/reports/tax?from={today}&to={today}"), headers=tenant.headers
    )
    assert bad.status_code == 422


def test_metrics_revenue_is_invoiced_and_collected(client, runtime, tenant):
    settings(client, tenant, tax_rates=[GST])
    inv = _issue(client, tenant, [line(10000)])
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 10500, "method": "cash"},
        status=201,
    )
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/refunds",
        {"amount_cents": 2100, "reason": "x"},
        status=201,
    )
    with InTenant(runtime, tenant) as sess:  # money received yesterday is outside the range
        sess.execute(update(InvoicePayment).values(received_on=_today()))
        sess.commit()
    today = _today()
    metrics = get(client, tenant, f"/admin/metrics?from={today}&to={today + timedelta(days=1)}")
    assert metrics["revenue"] == {
        "invoiced_cents": 10000 - 2000,
        "invoiced_tax_cents": 500 - 100,
        "collected_cents": 10500 - 2100,
        "refunded_cents": 2100,
    }
    rows = _csv(
        client.get(
            tenant.url(f"/admin/metrics?from={today}&to={today + timedelta(days=1)}&format=csv"),
            headers=tenant.headers,
        )
    )
    assert ["revenue", "collected_cents", "8400"] in rows
