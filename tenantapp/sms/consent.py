"""Who may get texts from this tenant (SPEC §5.12).

A customer is texted only when they opted in (``customers.sms_opt_in``: the booking form's "Text
me about my booking", or staff) **and** their number has not said STOP since (``sms_consents``).
On the platform's shared Messaging Service a STOP to the shared sender counts for every workspace
that uses it (``sms_platform_opt_outs``). Numbers are compared in E.164.
"""

from __future__ import annotations

from datetime import UTC, datetime

import phonenumbers
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from shared.models.sms import SmsPlatformOptOut
from shared.tenancy import current_tenant_or_none
from tenantapp.customers.models import Customer
from tenantapp.customers.service import phone_region
from tenantapp.sms.models import SmsConsent


def e164(raw: str | None, region: str | None = None) -> str | None:
    """``raw`` in E.164, or None when it is not a valid phone number.

    A national number ("020 7946 0018") is read in ``region``, by default the tenant's
    ``country`` setting (the customers' rule, so a GB workspace texts the number its customer
    form stored). Outside a tenant (the control plane's webhooks: Twilio always sends E.164)
    there is no region: only international numbers parse."""
    if not raw:
        return None
    raw = raw.strip()
    if region is None and not raw.startswith("+") and current_tenant_or_none() is not None:
        region = phone_region()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def number_opted_out(sess, phone: str, shared_sender: bool) -> bool:
    """Did ``phone`` send STOP to this tenant (or, on the shared sender, to the platform)?"""
    row = sess.get(SmsConsent, phone)
    if row is not None and row.opted_out_at is not None:
        return True
    return shared_sender and sess.get(SmsPlatformOptOut, phone) is not None


def customer_opted_in(sess, customer: Customer) -> bool:
    """The customer's own opt-in (``customers.sms_opt_in``: booking form, staff), or their
    number's START (an opt-in given by the number itself)."""
    if customer.sms_opt_in:
        return True
    phone = e164(customer.phone)
    row = sess.get(SmsConsent, phone) if phone else None
    return row is not None and row.opted_in_at is not None and row.opted_out_at is None


def may_text(sess, customer: Customer, shared_sender: bool = False) -> tuple[bool, str | None]:
    """(True, None) or (False, why): ``no_phone``, ``opted_out`` (no opt-in, or STOP)."""
    phone = e164(customer.phone)
    if phone is None or customer.anonymized_at is not None:
        return False, "no_phone"
    if number_opted_out(sess, phone, shared_sender):
        return False, "opted_out"
    if not customer_opted_in(sess, customer):
        return False, "opted_out"
    return True, None


def record(sess, phone: str, *, opted_in: bool, source: str, now: datetime | None = None) -> None:
    """The number said STOP (``opted_in=False``) or START: stored at once, for this tenant, and
    mirrored on the customers with that number."""
    now = now or datetime.now(UTC)
    values = {"phone": phone, "source": source, "updated_at": now}
    if opted_in:
        values.update(opted_in_at=now, opted_out_at=None)
    else:
        values.update(opted_out_at=now)
    stmt = insert(SmsConsent).values(**values)
    sess.execute(
        stmt.on_conflict_do_update(
            index_elements=[SmsConsent.phone],
            set_={k: stmt.excluded[k] for k in values if k != "phone"},
        )
    )
    sess.execute(
        update(Customer)
        .where(Customer.phone == phone)
        .values(sms_opt_in=opted_in, sms_opt_in_source=source, sms_opt_in_at=now)
    )


def customers_with(sess, phone: str) -> list[Customer]:
    return list(
        sess.scalars(
            select(Customer)
            .where(Customer.phone == phone, Customer.anonymized_at.is_(None))
            .order_by(Customer.id)
        )
    )
