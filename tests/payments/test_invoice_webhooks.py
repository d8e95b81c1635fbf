"""Invoice card payments reaching the Connect webhook (SPEC §5.11): recorded once per event and
PaymentIntent, a payment racing a manual one (the excess refunded once, staff alerted, the right
status), refunds made in Stripe, disputes, and events out of order."""

from datetime import date, timedelta

from sqlalchemy import select

from tenantapp.audit.models import AuditEntry
from tests.invoices.helpers import InTenant, get, outbox_topics
from tests.payments.conftest import post_connect_event
from tests.payments.invoice_helpers import completed, issued, pay, post, session_id
from tests.support import runtime_of


def _cash(client, tenant, inv, cents):
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": cents, "method": "cash"},
        status=201,
    )


def _alerts(client, tenant) -> list[str]:
    return [k for t, _, k in outbox_topics(runtime_of(client), tenant) if t == "payment_alert"]


def _audit(client, tenant, action) -> list[dict]:
    with InTenant(runtime_of(client), tenant) as sess:
        return [
            r.after for r in sess.scalars(select(AuditEntry).where(AuditEntry.action == action))
        ]


def test_a_payment_racing_a_manual_payment_is_refunded_once(client, connected, stripe_stub):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    _cash(client, tenant, inv, 10000)  # paid at the door while the customer was on Checkout
    outcomes = [
        completed(client, account, inv, session_id(url), "pi_race", 10000, "evt_race").get_json()
        for _ in range(3)
    ]
    assert outcomes[0]["outcome"] == "refund_after_paid"
    assert {o["outcome"] for o in outcomes[1:]} == {"duplicate"}
    (refund,) = stripe_stub.succeeded("/v1/refunds")
    assert refund.stripe_account == account and refund.form["payment_intent"] == "pi_race"
    assert int(refund.form["amount"]) == 10000 and refund.idempotency_key == "overpayment:pi_race"
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["status"] == "PAID" and view["paid_cents"] == 10000
    assert view["refunded_cents"] == 0 and [p["method"] for p in view["payments"]] == ["cash"]
    assert len(_alerts(client, tenant)) == 1
    (audit,) = _audit(client, tenant, "invoice.overpayment")
    assert audit["refund_cents"] == 10000
    # Stripe then reports the refund: nothing changes on the invoice
    resp = post_connect_event(
        client,
        "charge.refunded",
        {"id": "ch_race", "payment_intent": "pi_race", "amount_refunded": 10000},
        account,
    )
    assert resp.get_json()["outcome"] == "overpayment_refunded"
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["refunded_cents"] == 0


def test_a_partial_race_applies_what_is_due_and_refunds_the_rest(client, connected, stripe_stub):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    _cash(client, tenant, inv, 4000)
    resp = completed(client, account, inv, session_id(url), "pi_part", 10000)
    assert resp.get_json()["outcome"] == "refund_excess"
    (refund,) = stripe_stub.succeeded("/v1/refunds")
    assert int(refund.form["amount"]) == 4000
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["status"] == "PAID" and view["paid_cents"] == 10000
    assert sorted(p["amount_cents"] for p in view["payments"]) == [4000, 6000]
    # Stripe's charge.refunded for the excess is not a refund of the invoice
    post_connect_event(
        client,
        "charge.refunded",
        {"id": "ch_part", "payment_intent": "pi_part", "amount_refunded": 4000},
        account,
    )
    after = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert after["refunded_cents"] == 0 and after["status"] == "PAID"


def test_a_payment_for_a_void_invoice_is_refunded_in_full(client, connected, stripe_stub):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    post(client, tenant, f"/admin/invoices/{inv['id']}/void", {"reason": "wrong"}, key=False)
    resp = completed(client, account, inv, session_id(url), "pi_void", 10000)
    assert resp.get_json()["outcome"] == "refund_after_paid"
    assert int(stripe_stub.succeeded("/v1/refunds")[0].form["amount"]) == 10000
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["status"] == "VOID"


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_with_its_credit_note(client, connected):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), "pi_dash", 10000)
    charge = {
        "id": "ch_dash",
        "payment_intent": "pi_dash",
        "amount_refunded": 3000,
        "refunds": {"data": [{"id": "re_dash_1", "amount": 3000}]},
    }
    for _ in range(3):
        resp = post_connect_event(client, "charge.refunded", charge, account, event_id="evt_d1")
        assert resp.status_code == 200
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["status"] == "PAID" and view["refunded_cents"] == 3000
    assert view["credited_cents"] == 3000 and view["amount_due_cents"] == 0
    (refund,) = view["refunds"]
    assert refund["stripe_refund_id"] == "re_dash_1" and refund["method"] == "card"
    (note,) = view["credit_notes"]
    assert note["total_cents"] == 3000
    # the next refund of the same charge: only the new part is recorded
    charge2 = {
        **charge,
        "amount_refunded": 10000,
        "refunds": {"data": [{"id": "re_dash_2", "amount": 7000}, {"id": "re_dash_1"}]},
    }
    assert (
        post_connect_event(client, "charge.refunded", charge2, account).get_json()["outcome"]
        == "refund_recorded"
    )
    final = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert final["status"] == "REFUNDED" and final["refunded_cents"] == 10000


def test_a_refund_event_before_its_payment_is_asked_again_then_recorded(client, connected):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    charge = {
        "id": "ch_early",
        "payment_intent": "pi_early",
        "amount_refunded": 2500,
        "metadata": {"invoice_id": str(inv["id"])},
        "refunds": {"data": [{"id": "re_early"}]},
    }
    early = post_connect_event(client, "charge.refunded", charge, account, event_id="evt_early")
    assert early.status_code == 503  # Stripe delivers it again later
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["refunded_cents"] == 0
    completed(client, account, inv, session_id(url), "pi_early", 10000)
    again = post_connect_event(client, "charge.refunded", charge, account, event_id="evt_early")
    assert again.status_code == 200 and again.get_json()["outcome"] == "refund_recorded"
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["refunded_cents"] == 2500 and view["status"] == "PAID"
    # an old session's expiry arriving after the payment changes nothing
    late = post_connect_event(
        client,
        "checkout.session.expired",
        {"id": session_id(url), "metadata": {"invoice_id": str(inv["id"])}},
        account,
    )
    assert late.get_json()["outcome"] == "ignored"


def test_a_dispute_flags_the_invoice_and_alerts_staff_once(client, connected):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), "pi_disp", 10000)
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "payment_intent": "pi_disp",
        "charge": "ch_disp",
        "amount": 10000,
        "reason": "fraudulent",
    }
    first = post_connect_event(client, "charge.dispute.created", dispute, account)
    assert first.get_json()["outcome"] == "disputed"
    second = post_connect_event(client, "charge.dispute.created", dispute, account)
    assert second.get_json()["outcome"] == "duplicate"
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["disputed"] is True and view["status"] == "PAID"
    assert _alerts(client, tenant) == ["payment_alert:dispute:dp_1"]
    assert _audit(client, tenant, "invoice.dispute")[0]["reason"] == "fraudulent"


def test_events_for_another_tenants_invoice_change_nothing_here(client, connected, tenant):
    t, account = connected
    inv = issued(client, t, 10000)
    # the event names an invoice id that exists only in the other tenant: routed by account,
    # it lands in the connected tenant, where that id is unknown
    mine = issued(client, tenant, 5000)
    obj_for_unknown = {"id": "cs_x", "payment_intent": "pi_x", "amount_total": 5000}
    resp = completed(client, account, {"id": mine["id"] + 1000}, "cs_x", "pi_x", 5000)
    assert resp.get_json()["outcome"] == "unknown_invoice", obj_for_unknown
    assert get(client, t, f"/admin/invoices/{inv['id']}")["paid_cents"] == 0
    assert get(client, tenant, f"/admin/invoices/{mine['id']}")["paid_cents"] == 0


def test_an_excess_stripe_cannot_refund_is_a_second_alert(client, connected, stripe_stub):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    _cash(client, tenant, inv, 10000)
    stripe_stub.fail_next(10)
    resp = completed(client, account, inv, session_id(url), "pi_nofund", 10000)
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "refund_after_paid"
    assert sorted(_alerts(client, tenant)) == [
        "payment_alert:overpayment:pi_nofund",
        "payment_alert:overpayment_refund_failed:pi_nofund",
    ]
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["status"] == "PAID"


def test_a_dispute_won_clears_the_flag_and_a_lost_one_alerts_staff(client, connected):
    tenant, account = connected
    for intent, outcome in (("pi_won", "won"), ("pi_lost", "lost")):
        inv = issued(client, tenant, 10000)
        url = pay(client, tenant, inv).get_json()["checkout_url"]
        completed(client, account, inv, session_id(url), intent, 10000)
        dispute = {"id": f"dp_{outcome}", "payment_intent": intent, "amount": 10000}
        post_connect_event(client, "charge.dispute.created", dispute, account)
        closed = post_connect_event(
            client, "charge.dispute.closed", {**dispute, "status": outcome}, account
        )
        assert closed.get_json()["outcome"] == f"dispute_{outcome}"
        view = get(client, tenant, f"/admin/invoices/{inv['id']}")
        assert view["disputed"] is (outcome == "lost")
        # lost: the bank gave the whole payment back, so the invoice owes all of it again
        assert (view["status"], view["amount_due_cents"]) == (
            ("PAID", 0) if outcome == "won" else ("ISSUED", view["total_cents"])
        )
    assert "payment_alert:dispute_lost:dp_lost" in _alerts(client, tenant)
    assert "payment_alert:dispute_lost:dp_won" not in _alerts(client, tenant)


def _lost(client, account, intent: str, dispute_id: str, amount: int):
    dispute = {"id": dispute_id, "payment_intent": intent, "amount": amount}
    post_connect_event(client, "charge.dispute.created", dispute, account)
    return post_connect_event(
        client, "charge.dispute.closed", {**dispute, "status": "lost"}, account
    )


def test_a_lost_dispute_is_a_chargeback_the_invoice_owes_again_once(client, connected):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), "pi_part", 10000)
    total = get(client, tenant, f"/admin/invoices/{inv['id']}")["total_cents"]
    for _ in range(3):  # Stripe redelivers: one chargeback
        assert _lost(client, account, "pi_part", "dp_part", 4000).get_json()["outcome"] == (
            "dispute_lost"
        )
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert (view["status"], view["amount_due_cents"], view["refunded_cents"]) == (
        "PARTIALLY_PAID",
        4000,
        4000,
    )
    assert view["credited_cents"] == 0 and view["credit_notes"] == []
    [row] = view["refunds"]
    assert (row["method"], row["amount_cents"], row["credit_note_id"]) == ("chargeback", 4000, None)
    assert row["stripe_refund_id"] == "dp_part"
    assert [a["dispute"] for a in _audit(client, tenant, "invoice.chargeback")] == ["dp_part"]
    assert _alerts(client, tenant).count("payment_alert:dispute_lost:dp_part") == 1
    # what the bank gave back cannot be refunded again: 6 000 of the payment is left
    too_much = post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/refunds",
        {"amount_cents": total - 4000 + 1, "reason": "again"},
        status=422,
    )
    assert [e["field"] for e in too_much["errors"]] == ["amount_cents"]
    # the accountant's payments report shows the money going back, as a chargeback
    day = date.fromisoformat(row["refunded_on"])
    span = f"from={day}&to={day + timedelta(days=1)}"
    report = get(client, tenant, f"/admin/reports/payments?{span}")
    back = [(i["method"], i["amount_cents"], i["stripe_reference"]) for i in report["items"]]
    assert ("chargeback", -4000, "dp_part") in back
    # the customer pays what is owed another way: PAID again
    _cash(client, tenant, inv, 4000)
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["status"] == "PAID"


def test_a_chargeback_is_at_most_what_is_left_of_the_payment(client, connected, stripe_stub):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), "pi_left", 10000)
    total = get(client, tenant, f"/admin/invoices/{inv['id']}")["total_cents"]
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/refunds",
        {"amount_cents": 3000, "reason": "a room skipped"},
        status=201,
        key="refund-left",
    )
    # the bank says the whole charge, but 3 000 of it went back as a refund already
    assert _lost(client, account, "pi_left", "dp_left", total).get_json()["outcome"] == (
        "dispute_lost"
    )
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    chargeback = [r for r in view["refunds"] if r["method"] == "chargeback"]
    assert [r["amount_cents"] for r in chargeback] == [total - 3000]
    assert view["refunded_cents"] == total and view["credited_cents"] == 3000
    assert (view["status"], view["amount_due_cents"]) == ("ISSUED", total - 3000)
