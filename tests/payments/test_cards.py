"""The card on file (SPEC §5.11): saved from the deposit Checkout or a card-setup link, on the
customer's Stripe Customer in the connected account; the admin link, the public setup endpoint,
and what the account page reads."""

from sqlalchemy import select

from tenantapp.payments import cards
from tests.bookings.conftest import at, book, make_lead, monday
from tests.invoices.helpers import InTenant, outbox_topics
from tests.payments.card_helpers import save_card
from tests.payments.invoice_helpers import customer_id
from tests.support import runtime_of


def _setup_token(client, tenant, cid) -> str:
    with InTenant(runtime_of(client), tenant):
        return cards.setup_token(cid)


def test_the_deposit_checkout_saves_the_card_for_later(client, connected, stripe_stub):
    tenant, account = connected
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(monday(), "09:00")).get_json()
    (call,) = stripe_stub.succeeded("/v1/checkout/sessions")
    assert call.form["payment_intent_data[setup_future_usage]"] == "off_session"
    assert call.form["customer_creation"] == "always"
    from tests.payments.conftest import post_connect_event

    session = b["deposit"]["checkout_url"].rsplit("/", 1)[1]
    attached = {
        "id": "pm_dep",
        "customer": "cus_dep",
        "card": {"brand": "mastercard", "last4": "4444", "exp_month": 1, "exp_year": 2031},
    }
    # out of order: the card is attached before the completion that names its customer
    early = post_connect_event(
        client, "payment_method.attached", attached, account, event_id="evt_pm_dep"
    )
    assert early.status_code == 503  # Stripe delivers it again later
    post_connect_event(
        client,
        "checkout.session.completed",
        {
            "id": session,
            "payment_intent": "pi_dep",
            "customer": "cus_dep",
            "metadata": {"booking_id": str(b["id"])},
        },
        account,
    )
    again = post_connect_event(
        client, "payment_method.attached", attached, account, event_id="evt_pm_dep"
    )
    assert again.get_json()["outcome"] == "card_saved"
    with InTenant(runtime_of(client), tenant):
        view = cards.card_view(b["customer_id"])
    assert view == {"brand": "mastercard", "last4": "4444", "exp_month": 1, "exp_year": 2031}
    # the next deposit Checkout of this customer uses their Stripe Customer
    from tenantapp.payments import service as gateway
    from tenantapp.settings.models import TenantSettings

    with InTenant(runtime_of(client), tenant) as sess:
        gateway.open_deposit_checkout(
            sess.get(TenantSettings, 1),
            booking_id=b["id"] + 1000,
            amount_cents=5000,
            currency="CAD",
            return_url="https://x/done",
            customer_id=b["customer_id"],
        )
    later = stripe_stub.succeeded("/v1/checkout/sessions")[-1]
    assert later.form["customer"] == "cus_dep" and "customer_creation" not in later.form


def test_card_setup_link_emails_the_customer(client, connected, rt):
    tenant, _ = connected
    cid = customer_id(client, tenant)
    resp = client.post(
        tenant.url(f"/admin/customers/{cid}/card-setup-link"), headers=tenant.headers
    )
    assert resp.status_code == 200, resp.get_json()
    sent = [r for r in outbox_topics(rt, tenant) if r[0] == "card_setup"]
    assert len(sent) == 1 and sent[0][1] == "pat@example.com"
    from tenantapp.outbox.models import OutboxMessage

    with InTenant(rt, tenant) as sess:
        payload = sess.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.topic == "card_setup")
        )
    assert "token=" not in str(payload)  # the link is a credential: sealed at rest


def test_card_setup_link_refusals(client, connected, tenant):
    t, _ = connected
    cid = customer_id(client, t)
    # another tenant's token and ids → 404
    assert (
        client.post(
            tenant.url(f"/admin/customers/{cid}/card-setup-link"), headers=tenant.headers
        ).status_code
        == 404
    )
    assert (
        client.post(t.url("/admin/customers/999999/card-setup-link"), headers=t.headers).status_code
        == 404
    )
    # no connected account → 409
    own = customer_id(client, tenant, email="own@example.com")
    assert (
        client.post(
            tenant.url(f"/admin/customers/{own}/card-setup-link"), headers=tenant.headers
        ).status_code
        == 409
    )
    # no e-mail address → 409
    noemail = client.post(
        t.url("/admin/customers"),
        json={"name": "No Mail", "phone": "+1 403 555 0199"},
        headers=t.headers,
    )
    assert noemail.status_code == 201, noemail.get_json()
    resp = client.post(
        t.url(f"/admin/customers/{noemail.get_json()['id']}/card-setup-link"), headers=t.headers
    )
    assert resp.status_code == 409
    # a worker-level or anonymous caller is refused
    assert client.post(t.url(f"/admin/customers/{cid}/card-setup-link")).status_code == 401


def test_public_card_setup_opens_checkout_in_setup_mode(client, connected, stripe_stub):
    tenant, account = connected
    cid = customer_id(client, tenant)
    token = _setup_token(client, tenant, cid)
    resp = client.post(tenant.url(f"/customers/{cid}/card-setup?token={token}"))
    assert resp.status_code == 200, resp.get_json()
    (cust,) = stripe_stub.succeeded("/v1/customers")
    assert cust.stripe_account == account and cust.idempotency_key == f"customer:{cid}"
    (session,) = stripe_stub.succeeded("/v1/checkout/sessions")
    assert session.stripe_account == account and session.form["mode"] == "setup"
    assert session.form["customer"].startswith("cus_")
    assert session.form["metadata[customer_id]"] == str(cid)
    assert resp.get_json()["checkout_url"].startswith("https://checkout.stripe.test/")
    # the link again: the same Stripe Customer, a new session
    link = client.get(tenant.url(f"/customers/{cid}/card-setup?token={token}"))
    assert link.status_code == 303 and link.headers["Location"].startswith("https://checkout")
    assert len(stripe_stub.succeeded("/v1/customers")) == 1


def test_public_card_setup_is_404_for_other_customers_and_tenants(client, connected, tenant):
    t, _ = connected
    a = customer_id(client, t)
    b = customer_id(client, t, email="bee@example.com", phone="+1 403 555 0177")
    token_a = _setup_token(client, t, a)
    assert client.post(t.url(f"/customers/{b}/card-setup?token={token_a}")).status_code == 404
    assert client.post(t.url(f"/customers/{a}/card-setup?token=forged")).status_code == 404
    assert client.post(tenant.url(f"/customers/{a}/card-setup?token={token_a}")).status_code == 404


def test_stripe_down_on_card_setup_is_503_and_nothing_is_saved(client, connected, stripe_stub):
    tenant, _ = connected
    cid = customer_id(client, tenant)
    token = _setup_token(client, tenant, cid)
    stripe_stub.fail_next(10)
    resp = client.post(tenant.url(f"/customers/{cid}/card-setup?token={token}"))
    assert resp.status_code == 503
    with InTenant(runtime_of(client), tenant) as sess:
        assert cards.card_of(sess, cid) is None


def test_a_saved_card_shows_brand_last4_and_expiry(client, connected):
    tenant, account = connected
    cid = customer_id(client, tenant)
    with InTenant(runtime_of(client), tenant):
        assert cards.card_view(cid) is None
    save_card(client, account, cid)
    with InTenant(runtime_of(client), tenant):
        assert cards.card_view(cid) == {
            "brand": "visa",
            "last4": "4242",
            "exp_month": 4,
            "exp_year": 2030,
        }
