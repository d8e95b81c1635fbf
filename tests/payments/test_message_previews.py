"""The invoice e-mail previews: every customer e-mail of an invoice rendered as it would go now,
nothing queued; another tenant's invoice → 404; a draft → 409."""

from tests.invoices.helpers import get, outbox_topics
from tests.payments.invoice_helpers import issued, line, manual_invoice, same_invoice_link
from tests.support import runtime_of


def test_each_invoice_email_previews_without_sending(client, connected):
    tenant, _ = connected
    inv = issued(client, tenant, 12345)
    before = outbox_topics(runtime_of(client), tenant)
    base = f"/admin/invoices/{inv['id']}/messages/preview?template="
    for template, needle in [
        ("invoice_issued", "Pay online"),
        ("payment_receipt", "We received your card payment"),
        ("payment_failed", "the card was declined"),
        ("invoice_overdue", "A friendly reminder"),
    ]:
        body = get(client, tenant, base + template)
        assert body["template"] == template and body["to"] == "pat@example.com"
        assert body["subject"] and inv["number"] in body["subject"]
        assert needle in body["text"], (template, body["text"])
        assert body["html"].lstrip().startswith("<!doctype html>")
    auth = get(client, tenant, base + "payment_failed&reason=authentication_required")
    assert "confirm the payment yourself" in auth["text"]
    text = get(client, tenant, base + "payment_failed")["text"]
    link = next(w for w in text.split() if "/invoices/" in w and "token=" in w)
    assert same_invoice_link(client, tenant, link, inv)
    assert outbox_topics(runtime_of(client), tenant) == before  # nothing queued


def test_preview_refusals(client, connected, tenant):
    t, _ = connected
    inv = issued(client, t, 1000)
    draft = manual_invoice(client, t, [line(1000)])
    url = "/admin/invoices/{}/messages/preview?template=payment_failed"
    assert get(client, t, url.format(draft["id"]), status=409)
    assert get(client, tenant, url.format(inv["id"]), status=404)  # another tenant's id
    assert get(client, t, url.format(inv["id"]).replace("payment_failed", "nope"), status=422)
