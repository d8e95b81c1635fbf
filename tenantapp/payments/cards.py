"""The card on file (SPEC §5.11 "Card on file"): the customer's Stripe Customer on the tenant's
connected account, the card saved on it (from the deposit Checkout or a card-setup link), and the
signed card-setup link e-mailed to the customer.

Only the brand, last four digits and expiry are kept here (to show which card); the card itself
stays at Stripe.
"""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from shared import db
from shared.errors import Conflict, NotFound
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.customers.models import Customer
from tenantapp.messaging.service import EmailKind, enqueue_email
from tenantapp.payments import stripe_connect
from tenantapp.payments.models import CardOnFile
from tenantapp.pricing.models import PricingConfig
from tenantapp.settings.models import TenantSettings

CARD_SETUP = EmailKind("card_setup")
EMAILS = (CARD_SETUP,)
SALT = "cleanplane.card-setup"
LINK_MAX_AGE_SECONDS = 14 * 24 * 3600


def card_of(sess, customer_id: int) -> CardOnFile | None:
    return sess.get(CardOnFile, customer_id)


def card_view(customer_id: int) -> dict | None:
    """The customer's saved card for a page or the API: ``{brand, last4, exp_month, exp_year}``
    or None (no card)."""
    card = card_of(db.session(), customer_id)
    if card is None or not card.payment_method_id:
        return None
    return {
        "brand": card.brand,
        "last4": card.last4,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
    }


def chargeable(sess, customer_id: int) -> CardOnFile | None:
    """The card an auto-charge would use, or None."""
    card = card_of(sess, customer_id)
    return card if card is not None and card.payment_method_id else None


def remember_customer(tx, customer_id: int, stripe_customer: str) -> None:
    """Record the customer's Stripe Customer (from a completed Checkout); a newer one replaces
    an older one (its saved card goes with it)."""
    tx.execute(
        insert(CardOnFile)
        .values(customer_id=customer_id, stripe_customer_id=stripe_customer)
        .on_conflict_do_nothing(index_elements=["customer_id"])
    )
    tx.execute(
        update(CardOnFile)
        .where(
            CardOnFile.customer_id == customer_id,
            CardOnFile.stripe_customer_id != stripe_customer,
        )
        .values(
            stripe_customer_id=stripe_customer,
            payment_method_id=None,
            brand=None,
            last4=None,
            exp_month=None,
            exp_year=None,
        )
    )


def payment_method_attached(tx, obj: dict) -> str:
    """``payment_method.attached``: the card saved on a customer's Stripe Customer."""
    row = tx.scalar(
        select(CardOnFile)
        .where(CardOnFile.stripe_customer_id == obj.get("customer"))
        .with_for_update()
    )
    if row is None:
        customer_id = (obj.get("metadata") or {}).get("customer_id")
        if not (customer_id and str(customer_id).isdigit()):
            return "unknown_customer"
        if tx.get(Customer, int(customer_id)) is None:
            return "unknown_customer"
        remember_customer(tx, int(customer_id), obj["customer"])
        row = tx.get(CardOnFile, int(customer_id), with_for_update=True)
    card = obj.get("card") or {}
    before = {"last4": row.last4}
    row.payment_method_id = obj.get("id")
    row.brand = card.get("brand")
    row.last4 = card.get("last4")
    row.exp_month = card.get("exp_month")
    row.exp_year = card.get("exp_year")
    record(tx, "customer.card_saved", "customer", row.customer_id, before, {"last4": row.last4})
    return "card_saved"


def setup_completed(tx, obj: dict) -> str:
    """A setup-mode Checkout finished: the Stripe Customer is the customer's (the card itself
    arrives with ``payment_method.attached``, in either order)."""
    customer_id = (obj.get("metadata") or {}).get("customer_id")
    if not (customer_id and str(customer_id).isdigit() and obj.get("customer")):
        return "ignored"
    if tx.get(Customer, int(customer_id)) is None:
        return "unknown_customer"
    row = tx.get(CardOnFile, int(customer_id))
    if row is None or row.stripe_customer_id != obj["customer"]:
        remember_customer(tx, int(customer_id), obj["customer"])
    return "card_setup_done"


# ------------------------------------------------------------------ card setup
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.secret_key, salt=SALT)


def setup_token(customer_id: int) -> str:
    return _serializer().dumps({"t": str(current_tenant().id), "c": customer_id})


def check_setup_token(token: str | None, customer_id: int) -> None:
    """404 unless ``token`` is this customer's card-setup link of this tenant."""
    try:
        data = _serializer().loads(token or "", max_age=LINK_MAX_AGE_SECONDS)
    except BadSignature as exc:
        raise NotFound("No such customer.") from exc
    if data != {"t": str(current_tenant().id), "c": customer_id}:
        raise NotFound("No such customer.")


def setup_link(customer_id: int) -> str:
    """The signed link the card-setup e-mail carries: opening it (GET) goes straight to Stripe's
    card form; ``POST`` on the same URL answers ``{checkout_url}`` for a page's button."""
    root = current_runtime().settings.public_base_url.rstrip("/")
    slug = current_tenant().slug
    return f"{root}/t/{slug}/v1/customers/{customer_id}/card-setup?token={setup_token(customer_id)}"


def send_setup_link(customer_id: int) -> dict:
    """E-mail the customer a link to save a card (``card_setup``); 409 without an e-mail address
    or without a connected Stripe account. Audited."""
    with db.transaction() as tx:
        customer = tx.get(Customer, customer_id)
        if customer is None or customer.anonymized_at is not None:
            raise NotFound("No such customer.")
        settings = tx.get(TenantSettings, 1)
        if not settings.stripe_account_id:
            raise Conflict("Connect a Stripe account first (Settings → Payments).")
        if not customer.email:
            raise Conflict("This customer has no e-mail address.")
        enqueue_email(
            tx,
            CARD_SETUP,
            customer.email,
            {"customer_name": customer.name},
            f"card_setup:{customer_id}:{uuid.uuid4().hex}",  # each request is one e-mail
            secrets={"setup_url": setup_link(customer_id)},
        )
        record(tx, "customer.card_setup_link", "customer", customer_id, None, {"to": "email"})
    return {"sent": True, "customer_id": customer_id}


def start_card_setup(customer_id: int) -> str:
    """A setup-mode Checkout for the customer → its URL (the Stripe Customer made on the
    connected account first, once). 409 without a connected account; 503 if Stripe is down."""
    sess = db.session()
    customer = sess.get(Customer, customer_id)
    if customer is None or customer.anonymized_at is not None:
        raise NotFound("No such customer.")
    settings = sess.get(TenantSettings, 1)
    account = settings.stripe_account_id
    if not account:
        raise Conflict("This company does not take cards online yet.")
    card = card_of(sess, customer_id)
    cfg = sess.scalar(select(PricingConfig).order_by(PricingConfig.version.desc()).limit(1))
    currency = (cfg.config.get("currency") if cfg else None) or "CAD"
    name, email = customer.name, customer.email
    stripe_customer = card.stripe_customer_id if card else None
    sess.rollback()  # no transaction open across Stripe calls
    if stripe_customer is None:
        stripe_customer = stripe_connect.create_customer(account, customer_id, name, email).id
        with db.transaction() as tx:
            remember_customer(tx, customer_id, stripe_customer)
    root = current_runtime().settings.public_base_url.rstrip("/")
    session = stripe_connect.create_setup_session(
        account=account,
        stripe_customer=stripe_customer,
        customer_id=customer_id,
        currency=currency,
        return_url=f"{root}/t/{current_tenant().slug}/account",
    )
    return session.url
