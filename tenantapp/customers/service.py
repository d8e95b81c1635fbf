"""Customers: matched by normalised e-mail, else E.164 phone, else created (SPEC §5.3)."""

from __future__ import annotations

import phonenumbers
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared import db
from shared.errors import NotFound, field_error
from shared.pagination import decode_cursor, page
from tenantapp.customers.models import Customer, ReferralCredit
from tenantapp.leads.models import Lead

DEFAULT_REGION = "CA"  # North American numbering; numbers with +country codes parse anywhere


def normalise_email(email: str | None) -> str | None:
    """Trimmed, lower-cased e-mail (None stays None)."""
    return email.strip().lower() if email else None


def normalise_phone(raw: str, field: str = "phone") -> str:
    """E.164 form of ``raw`` or a 422 on ``field``."""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise field_error(field, "phone is not a valid phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise field_error(field, "phone is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def match_or_create(sess, name: str, email: str | None, phone: str) -> Customer:
    """The customer with this e-mail, else with this phone, else a new one."""
    if email:
        found = sess.scalar(select(Customer).where(Customer.email == email))
        if found is not None:
            return found
    found = sess.scalar(
        select(Customer).where(Customer.phone == phone).order_by(Customer.id).limit(1)
    )
    if found is not None:
        if email and found.email is None:
            found.email = email
        return found
    if email:
        # Two leads with a new e-mail at once: the unique index decides, both attach to one row.
        sess.execute(
            insert(Customer)
            .values(name=name, email=email, phone=phone)
            .on_conflict_do_nothing(
                index_elements=["email"], index_where=Customer.email.isnot(None)
            )
        )
        return sess.scalar(select(Customer).where(Customer.email == email))
    customer = Customer(name=name, email=None, phone=phone)
    sess.add(customer)
    sess.flush()
    return customer


def list_customers(limit: int, cursor: str | None) -> dict:
    """A page of customers, newest first."""
    stmt = select(Customer).order_by(Customer.id.desc()).limit(limit + 1)
    after = decode_cursor(cursor, int)
    if after:
        stmt = stmt.where(Customer.id < after[0])
    rows = list(db.session().scalars(stmt))
    return page(rows, limit, lambda c: [c.id])


def customer_detail(customer_id: int) -> dict:
    """One customer with their leads and referral credits; 404 if unknown."""
    sess = db.session()
    customer = sess.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    leads = sess.scalars(select(Lead).where(Lead.customer_id == customer_id).order_by(Lead.id))
    credits = sess.scalars(
        select(ReferralCredit)
        .where(ReferralCredit.customer_id == customer_id)
        .order_by(ReferralCredit.id)
    )
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "created_at": customer.created_at,
        "leads": list(leads),
        "credits": list(credits),
        "bookings": [],
    }
