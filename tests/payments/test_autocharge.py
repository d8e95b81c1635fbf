"""Auto-charge to the card on file (SPEC §5.11): charged off-session when the invoice is issued,
declined or authentication required → ``payment_failed`` with the pay link, retries 3 and 7 days
after the first attempt, then staff told; a Stripe outage repeats the same attempt."""

from datetime import UTC, datetime, timedelta

from tests.invoices.helpers import get, outbox_topics
from tests.payments.card_helpers import auto_charge_on, charge_row, run_charges, save_card
from tests.payments.invoice_helpers import customer_id, issued, post, same_invoice_link
from tests.support import runtime_of


def _customer_with_card(client, tenant, account, pm="pm_card_visa"):
    cid = customer_id(client, tenant)
    save_card(client, account, cid, pm=pm)
    auto_charge_on(client, tenant, cid)
    return cid


def _topics(client, tenant, topic):
    return [k for t, _, k in outbox_topics(runtime_of(client), tenant) if t == topic]


def test_an_issued_invoice_is_charged_to_the_card_on_file(client, connected, stripe_stub):
    tenant, account = connected
    cid = _customer_with_card(client, tenant, account)
    inv = issued(client, tenant, 10000, cid=cid)
    assert charge_row(client, tenant, inv["id"]).status == "pending"
    assert run_charges(client, tenant) == {"charged": 1}
    (call,) = stripe_stub.succeeded("/v1/payment_intents")
    assert call.stripe_account == account
    assert call.idempotency_key == f"invoice-charge:{inv['id']}:1"
    assert call.form["off_session"] == "true" and call.form["confirm"] == "true"
    assert call.form["payment_method"] == "pm_card_visa" and int(call.form["amount"]) == 10000
    assert call.form["metadata[invoice_id]"] == str(inv["id"])
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["status"] == "PAID" and view["payments"][0]["source"] == "auto_charge"
    assert len(_topics(client, tenant, "payment_receipt")) == 1
    assert charge_row(client, tenant, inv["id"]).status == "succeeded"
    assert run_charges(client, tenant, datetime.now(UTC) + timedelta(days=8)) == {}


def test_no_auto_charge_without_the_flag_or_without_a_card(client, connected, stripe_stub):
    tenant, account = connected
    cid = customer_id(client, tenant)
    save_card(client, account, cid)  # a card, but auto_charge is off
    inv = issued(client, tenant, 10000, cid=cid)
    assert charge_row(client, tenant, inv["id"]) is None
    other = customer_id(client, tenant, email="nocard@example.com", phone="+1 403 555 0161")
    auto_charge_on(client, tenant, other)  # the flag, but no card
    inv2 = issued(client, tenant, 10000, cid=other)
    assert charge_row(client, tenant, inv2["id"]) is None
    assert run_charges(client, tenant) == {} and stripe_stub.calls("/v1/payment_intents") == []


def test_a_declined_card_is_retried_after_3_and_7_days_then_staff_are_told(
    client, connected, stripe_stub
):
    tenant, account = connected
    cid = _customer_with_card(client, tenant, account, pm="pm_card_chargeDeclined")
    inv = issued(client, tenant, 10000, cid=cid)
    start = charge_row(client, tenant, inv["id"]).created_at
    assert run_charges(client, tenant) == {"declined": 1}
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["status"] == "ISSUED" and view["amount_due_cents"] == 10000
    assert _topics(client, tenant, "payment_failed") == [f"payment_failed:{inv['id']}:1"]
    row = charge_row(client, tenant, inv["id"])
    assert row.next_attempt_at == start + timedelta(days=3) and row.last_error == "declined"
    # not before day 3 …
    assert run_charges(client, tenant, start + timedelta(days=3) - timedelta(seconds=1)) == {}
    # … then the second attempt, with the next key
    assert run_charges(client, tenant, start + timedelta(days=3)) == {"declined": 1}
    keys = [c.idempotency_key for c in stripe_stub.calls("/v1/payment_intents")]
    assert keys == [f"invoice-charge:{inv['id']}:1", f"invoice-charge:{inv['id']}:2"]
    assert charge_row(client, tenant, inv["id"]).next_attempt_at == start + timedelta(days=7)
    assert run_charges(client, tenant, start + timedelta(days=6)) == {}
    assert run_charges(client, tenant, start + timedelta(days=7)) == {"declined": 1}
    final = charge_row(client, tenant, inv["id"])
    assert final.status == "failed" and final.next_attempt_at is None and final.attempt == 3
    assert len(_topics(client, tenant, "payment_failed")) == 3
    assert _topics(client, tenant, "payment_alert") == [
        f"payment_alert:auto_charge_failed:{inv['id']}"
    ]
    assert run_charges(client, tenant, start + timedelta(days=30)) == {}
    assert len(stripe_stub.calls("/v1/payment_intents")) == 3
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["status"] == "ISSUED"
    assert view["auto_charge"] == {
        "status": "failed",
        "attempts": 3,
        "next_attempt_at": None,
        "last_error": "declined",
    }


def test_authentication_required_sends_the_pay_link(client, connected, rt):
    from sqlalchemy import select

    from shared.crypto import unsealed
    from tenantapp.outbox.models import OutboxMessage
    from tests.invoices.helpers import InTenant

    tenant, account = connected
    cid = _customer_with_card(client, tenant, account, pm="pm_card_authenticationRequired")
    inv = issued(client, tenant, 10000, cid=cid)
    assert run_charges(client, tenant) == {"authentication_required": 1}
    with InTenant(rt, tenant) as sess:
        payload = sess.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.topic == "payment_failed")
        )
    context = unsealed(payload, tuple(rt.settings.data_encryption_keys))
    assert context["reason"] == "authentication_required"
    assert same_invoice_link(client, tenant, context["pay_url"], inv)
    assert charge_row(client, tenant, inv["id"]).payment_intent.startswith("pi_")


def test_paid_another_way_before_the_retry_cancels_it(client, connected, stripe_stub):
    tenant, account = connected
    cid = _customer_with_card(client, tenant, account, pm="pm_card_chargeDeclined")
    inv = issued(client, tenant, 10000, cid=cid)
    start = charge_row(client, tenant, inv["id"]).created_at
    run_charges(client, tenant)
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 10000, "method": "etransfer"},
        status=201,
    )
    assert run_charges(client, tenant, start + timedelta(days=3)) == {"nothing_due": 1}
    assert len(stripe_stub.calls("/v1/payment_intents")) == 1
    assert charge_row(client, tenant, inv["id"]).status == "cancelled"


def test_stripe_down_repeats_the_same_attempt_and_charges_once(client, connected, stripe_stub):
    tenant, account = connected
    cid = _customer_with_card(client, tenant, account)
    inv = issued(client, tenant, 10000, cid=cid)
    stripe_stub.fail_next(10)
    assert run_charges(client, tenant) == {"stripe_unavailable": 1}
    row = charge_row(client, tenant, inv["id"])
    assert row.in_flight is True and row.attempt == 1
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["paid_cents"] == 0
    stripe_stub.reset()
    assert run_charges(client, tenant) == {}  # the attempt's lease has not run out
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert run_charges(client, tenant, later) == {"charged": 1}
    keys = {c.idempotency_key for c in stripe_stub.calls("/v1/payment_intents")}
    assert keys == {f"invoice-charge:{inv['id']}:1"}
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["status"] == "PAID"


def test_the_webhook_and_the_job_record_an_auto_charge_once(client, connected, stripe_stub):
    from tests.payments.conftest import post_connect_event

    tenant, account = connected
    cid = _customer_with_card(client, tenant, account)
    inv = issued(client, tenant, 10000, cid=cid)
    run_charges(client, tenant)
    intent = charge_row(client, tenant, inv["id"]).payment_intent
    resp = post_connect_event(
        client,
        "payment_intent.succeeded",
        {
            "id": intent,
            "amount": 10000,
            "amount_received": 10000,
            "metadata": {"invoice_id": str(inv["id"]), "purpose": "auto_charge"},
        },
        account,
    )
    assert resp.get_json()["outcome"] == "duplicate"
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["paid_cents"] == 10000 and len(view["payments"]) == 1
