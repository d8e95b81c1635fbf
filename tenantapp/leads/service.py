"""Lead intake (public), listing, CSV export, detail and the lead status machine."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime
from decimal import Decimal

from flask import request
from sqlalchemy import select

from shared import db
from shared.csvsafe import csv_lines
from shared.errors import BadRequest, Conflict, NotFound, ValidationFailed
from shared.pagination import decode_cursor, page
from tenantapp.audit.service import record
from tenantapp.customers.models import Customer, Property, ReferralCredit
from tenantapp.customers.service import (
    match_or_create,
    normalise_email,
    normalise_phone,
    property_for_lead,
)
from tenantapp.leads import notifications
from tenantapp.leads.captcha import captcha_required, verify_turnstile
from tenantapp.leads.models import Lead
from tenantapp.leads.proof import new_lead_token
from tenantapp.pricing.estimator import duration_minutes
from tenantapp.pricing.service import estimate_now
from tenantapp.settings.models import TenantSettings

CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 8
TRANSITIONS = {
    "NEW": {"CONTACTED", "BOOKED", "CANCELLED"},
    "CONTACTED": {"BOOKED", "CANCELLED"},
    "BOOKED": {"DONE", "CANCELLED"},
    "DONE": set(),
    "CANCELLED": set(),
}
CUSTOMER_OUT_FIELDS = (
    "id",
    "name",
    "email",
    "phone",
    "notes",
    "tags",
    "sms_opt_in",
    "sms_opt_in_source",
    "sms_opt_in_at",
    "auto_charge",
    "created_at",
    "updated_at",
    "anonymized_at",
)
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def new_referral_code() -> str:
    """A fresh random referral code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _unique_code(sess) -> str:
    for _ in range(10):
        code = new_referral_code()
        if sess.scalar(select(Lead.id).where(Lead.referral_code == code)) is None:
            return code
    raise RuntimeError("could not find a free referral code")  # 36^8: practically unreachable


def create_lead(data: dict) -> tuple[Lead, dict, str]:
    """Verify the captcha, price the request server-side and store the lead with its customer.

    Returns the lead, its estimate and the lead token (only its digest is stored)."""
    sess = db.session()
    settings = sess.get(TenantSettings, 1)
    if captcha_required(settings.captcha_mode):
        verify_turnstile(data.get("captcha_token"), request.remote_addr)
    phone = normalise_phone(data["phone"])
    email = normalise_email(data.get("email"))
    try:
        estimate = estimate_now(data["estimate_request"]).as_dict()
    except ValidationFailed as exc:  # the estimator names fields relative to its own request
        raise ValidationFailed(
            [{**e, "field": f"estimate_request.{e['field']}"} for e in exc.extra["errors"]]
        ) from exc
    with db.transaction() as tx:
        referred_by = data.get("referral_code")
        if referred_by:
            referred_by = referred_by.strip().upper()
            if tx.scalar(select(Lead.id).where(Lead.referral_code == referred_by)) is None:
                raise BadRequest(
                    "That referral code is not known.", code="bad_request", field="referral_code"
                )
        customer = match_or_create(tx, data["name"], email, phone)
        request_json = _jsonable(data["estimate_request"])
        prop = property_for_lead(tx, customer, data, request_json)
        if data.get("sms_opt_in") and not customer.sms_opt_in:
            # "Text me about my booking" (SPEC §5.3/§5.12): consent from the booking form. An
            # unticked box is not an opt-out: consent given earlier stays.
            customer.sms_opt_in = True
            customer.sms_opt_in_source = "booking_form"
            customer.sms_opt_in_at = datetime.now(UTC)
        lead = Lead(
            customer_id=customer.id,
            property_id=prop.id,
            name=data["name"],
            phone=phone,
            email=email,
            postal_code=data.get("postal_code"),
            address=data.get("address"),
            preferred_dates=[d.isoformat() for d in data.get("preferred_dates") or []],
            access_notes=data.get("access_notes"),
            parking=data.get("parking"),
            pets=data.get("pets"),
            allergies=data.get("allergies"),
            notes=data.get("notes"),
            estimate_request=request_json,
            estimate=estimate,
            pricing_config_id=estimate["pricing_config_id"],
            pricing_config_version=estimate["pricing_config_version"],
            config_hash=estimate["config_hash"],
            utm={k: data[k] for k in UTM_FIELDS if data.get(k)},
            referrer=data.get("referrer"),
            referral_code=_unique_code(tx),
            referred_by_code=referred_by,
            sms_opt_in=bool(data.get("sms_opt_in")),
        )
        token, lead.token_hash = new_lead_token()
        tx.add(lead)
        tx.flush()
        notifications.lead_created(tx, lead)  # e-mails and the export, in this transaction
    return lead, estimate, token


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return float(value)
    return value


def _lead_query(status: str | None, start: datetime | None, end: datetime | None):
    stmt = select(Lead)
    if status:
        stmt = stmt.where(Lead.status == status)
    if start is not None:
        stmt = stmt.where(Lead.created_at >= start)
    if end is not None:
        stmt = stmt.where(Lead.created_at < end)
    return stmt


def list_leads(status, limit, cursor, start=None, end=None) -> dict:
    """Leads, newest first, one page."""
    stmt = _lead_query(status, start, end).order_by(Lead.id.desc()).limit(limit + 1)
    after = decode_cursor(cursor, int)
    if after:
        stmt = stmt.where(Lead.id < after[0])
    return page(list(db.session().scalars(stmt)), limit, lambda lead: [lead.id])


CSV_HEADER = [
    "id",
    "created_at",
    "status",
    "name",
    "email",
    "phone",
    "postal_code",
    "address",
    "service_type",
    "total_before_tax",
    "referral_code",
    "referred_by_code",
    "notes",
]


def leads_csv(status, start, end):
    """Stream every matching lead (newest first) as formula-safe CSV, in batches."""
    sess = db.session()

    def rows():
        last = None
        while True:
            stmt = _lead_query(status, start, end).order_by(Lead.id.desc()).limit(500)
            if last is not None:
                stmt = stmt.where(Lead.id < last)
            batch = list(sess.scalars(stmt))
            if not batch:
                return
            for lead in batch:
                yield [
                    lead.id,
                    lead.created_at.isoformat(),
                    lead.status,
                    lead.name,
                    lead.email,
                    lead.phone,
                    lead.postal_code,
                    lead.address,
                    lead.estimate_request.get("service_type", "standard"),
                    lead.estimate.get("total_before_tax"),
                    lead.referral_code,
                    lead.referred_by_code,
                    lead.notes,
                ]
            last = batch[-1].id

    return csv_lines(CSV_HEADER, rows())


def get_lead(lead_id: int) -> Lead:
    """One lead, or 404."""
    lead = db.session().get(Lead, lead_id)
    if lead is None:
        raise NotFound("No such lead.")
    return lead


def booking_minutes(lead: Lead) -> int:
    """A booking's length from the lead's stored estimate (never from the client)."""
    return duration_minutes(lead.estimate["time_on_site_hours"], lead_service_type(lead))


def lead_service_type(lead: Lead) -> str:
    """The service type the lead was estimated for."""
    return lead.estimate_request.get("service_type", "standard")


def lead_detail(lead_id: int) -> dict:
    """The staff view of one lead."""
    sess = db.session()
    lead = sess.get(Lead, lead_id)
    if lead is None:
        raise NotFound("No such lead.")
    credits = list(
        sess.scalars(
            select(ReferralCredit)
            .where(ReferralCredit.customer_id == lead.customer_id)
            .order_by(ReferralCredit.id)
        )
    )
    return {"lead": lead, "credits": credits, "bookings": []}


def change_status(lead_id: int, to_status: str) -> Lead:
    """Move a lead through its status machine; audited."""
    with db.transaction() as tx:
        lead = tx.get(Lead, lead_id, with_for_update=True)
        if lead is None:
            raise NotFound("No such lead.")
        if to_status not in TRANSITIONS[lead.status]:
            raise Conflict(
                f"A {lead.status} lead cannot become {to_status}.", code="invalid_transition"
            )
        record(tx, "lead.status", "lead", lead.id, {"status": lead.status}, {"status": to_status})
        lead.status = to_status
    return lead


def customer_detail(customer_id: int) -> dict:
    """One customer with their leads and referral credits; 404 if unknown (here, not in
    ``customers``: customers sit below leads, and a customer's page lists their leads)."""
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
    properties = sess.scalars(
        select(Property).where(Property.customer_id == customer_id).order_by(Property.id)
    )
    return {
        **{name: getattr(customer, name) for name in CUSTOMER_OUT_FIELDS},
        "properties": list(properties),
        "leads": list(leads),
        "credits": list(credits),
    }
