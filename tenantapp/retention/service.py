"""Retention and data rights (SPEC §5.8).

- ``cleanup``: delete leads older than the tenant's ``retention_lead_days`` that never booked
  (null: off). Run by staff (``POST /admin/retention/cleanup``) or by the hourly fan-out job, which
  runs it once per tenant-local date at the first tick at or after 02:00 local (``due_local_date``).
- ``anonymise``: a data-deletion request. The customer row and their leads keep their ids (bookings
  reference them) but lose every personal field; bookings stay for the books with their free-text
  fields cleared; the photos of those bookings are deleted (storage released via the janitor);
  their outbox rows (mail to them or about them, lead exports) are deleted in the same
  transaction (``tenantapp.outbox.erasure``), so nothing addressed to them is sent afterwards.
- ``export``: one person's data bundle (customer rows, leads, bookings, photo metadata, credits).
Every action writes an audit entry.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, func, select

from shared import db
from shared.errors import NotFound, ValidationFailed
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property, ReferralCredit
from tenantapp.leads.models import Lead
from tenantapp.outbox.erasure import erase_person
from tenantapp.photos import service as photos
from tenantapp.photos.models import Photo
from tenantapp.reviews import service as reviews
from tenantapp.settings.models import TenantSettings
from tenantapp.sms import erasure as sms_erasure

RUN_AT_LOCAL = time(2, 0)
ERASED = "[deleted]"


def _now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ retention cleanup
def due_local_date(now: datetime, zone: ZoneInfo) -> date | None:
    """The tenant-local date whose cleanup is due at ``now``: none before 02:00 local.

    On a spring-forward day 02:00 does not exist; the first tick after the gap (03:00) is due.
    On a fall-back day the repeated hour is before 02:00 (or keyed by the same date), so the
    caller's once-per-date key keeps it to one run.
    """
    local = now.astimezone(zone)
    return local.date() if local.time() >= RUN_AT_LOCAL else None


def cleanup(now: datetime | None = None) -> dict:
    """Delete never-booked leads older than ``retention_lead_days``; audit the count."""
    now = now or _now()
    with db.transaction() as tx:
        days = tx.get(TenantSettings, 1).retention_lead_days
        if days is None:
            return {"enabled": False, "retention_lead_days": None, "deleted_leads": 0}
        cutoff = now - timedelta(days=days)
        booked = exists().where(Booking.lead_id == Lead.id)
        ids = list(
            tx.scalars(delete(Lead).where(Lead.created_at < cutoff, ~booked).returning(Lead.id))
        )
        record(
            tx,
            "retention.cleanup",
            "lead",
            None,
            after={"deleted": len(ids), "retention_lead_days": days, "cutoff": cutoff.isoformat()},
        )
    return {"enabled": True, "retention_lead_days": days, "deleted_leads": len(ids)}


# ------------------------------------------------------------------ data subject lookups
def _customers(sess, data: dict, *, lock: bool = False) -> list[Customer]:
    if (data.get("customer_id") is None) == (not data.get("email")):
        raise ValidationFailed(
            errors=[
                {"field": "customer_id", "message": "Give exactly one of customer_id or email."}
            ]
        )
    stmt = select(Customer).order_by(Customer.id)
    if data.get("customer_id") is not None:
        stmt = stmt.where(Customer.id == data["customer_id"])
    else:
        email = data["email"].strip().lower()
        via_leads = select(Lead.customer_id).where(func.lower(Lead.email) == email)
        stmt = stmt.where((func.lower(Customer.email) == email) | Customer.id.in_(via_leads))
    if lock:
        stmt = stmt.with_for_update()
    found = list(sess.scalars(stmt))
    if not found:
        raise NotFound("No such customer.")
    return found


# A property's free text names or locates the person (the home details do not).
PROPERTY_PERSONAL_FIELDS = (
    "address",
    "postal_code",
    "access_notes",
    "key_notes",
    "parking",
    "pets",
    "allergies",
    "notes",
)


def anonymise(data: dict, now: datetime | None = None) -> dict:
    """Erase one person: anonymise customer and leads, detach bookings, delete their photos."""
    now = now or _now()
    with db.transaction() as tx:
        customers = _customers(tx, data, lock=True)
        ids = [c.id for c in customers]
        leads = list(tx.scalars(select(Lead).where(Lead.customer_id.in_(ids))))
        bookings = list(tx.scalars(select(Booking).where(Booking.customer_id.in_(ids))))
        # Before the addresses are erased: their queued, dead and sent mail and texts go too.
        phones, sids = sms_erasure.thread_facts(tx, ids)
        outbox_rows = erase_person(
            tx,
            [c.email for c in customers] + [lead.email for lead in leads] + [data.get("email")],
            [lead.id for lead in leads],
            [b.id for b in bookings],
            phones=phones + [c.phone for c in customers] + [lead.phone for lead in leads],
            inbound_sids=sids,
        )
        messages = sms_erasure.erase_threads(tx, ids)
        reviews.erase_comments(tx, ids)
        for c in customers:
            c.name, c.email, c.phone, c.anonymized_at = ERASED, None, None, now
        for place in tx.scalars(select(Property).where(Property.customer_id.in_(ids))):
            for name in PROPERTY_PERSONAL_FIELDS:
                setattr(place, name, None)
            place.archived_at = place.archived_at or now
        for c in customers:
            c.notes, c.tags, c.sms_opt_in, c.auto_charge = None, [], False, False
        for lead in leads:
            lead.name, lead.phone, lead.email = ERASED, "", None
            lead.postal_code = lead.address = lead.access_notes = lead.parking = None
            lead.pets = lead.allergies = lead.notes = lead.referrer = None
            lead.utm, lead.preferred_dates = {}, []
        for b in bookings:
            b.notes, b.cancel_reason = None, None
        photo_keys = [
            (p.booking_id, p.id)
            for p in tx.scalars(select(Photo).where(Photo.booking_id.in_([b.id for b in bookings])))
        ]
        summary = {
            "customer_ids": ids,
            "leads": len(leads),
            "bookings": len(bookings),
            "photos": len(photo_keys),
            "outbox_messages": outbox_rows,
            "messages": messages,
        }
        for c in customers:
            record(tx, "customer.anonymise", "customer", c.id, after=summary)
    for booking_id, photo_id in photo_keys:
        photos.delete_photo(booking_id, photo_id)
    return summary


def export(data: dict) -> dict:
    """One person's data bundle: every row that names them, as JSON-ready dicts."""
    with db.transaction() as tx:
        customers = _customers(tx, data)
        ids = [c.id for c in customers]
        leads = list(tx.scalars(select(Lead).where(Lead.customer_id.in_(ids)).order_by(Lead.id)))
        bookings = list(
            tx.scalars(select(Booking).where(Booking.customer_id.in_(ids)).order_by(Booking.id))
        )
        photo_rows = list(
            tx.scalars(
                select(Photo)
                .where(Photo.booking_id.in_([b.id for b in bookings]))
                .order_by(Photo.created_at)
            )
        )
        credits = list(
            tx.scalars(select(ReferralCredit).where(ReferralCredit.customer_id.in_(ids)))
        )
        places = list(
            tx.scalars(select(Property).where(Property.customer_id.in_(ids)).order_by(Property.id))
        )
        messages = sms_erasure.export_threads(tx, ids)
        review_rows = reviews.for_customers(tx, ids)
        bundle = {
            "generated_at": _now().isoformat(),
            "customers": [_row(c) for c in customers],
            "properties": [_row(p) for p in places],
            "leads": [_row(lead) for lead in leads],
            "bookings": [_row(b) for b in bookings],
            "photos": [_row(p, skip={"storage_ref", "storage_key"}) for p in photo_rows],
            "referral_credits": [_row(c) for c in credits],
            "messages": [_row(m, skip={"outbox_id", "author_id"}) for m in messages],
            "reviews": [_row(r) for r in review_rows],
        }
        for c in customers:
            record(tx, "customer.export", "customer", c.id, after={"leads": len(leads)})
    return bundle


def _row(obj, skip: frozenset | set = frozenset()) -> dict:
    out = {}
    for attr in obj.__mapper__.column_attrs:
        if attr.key in skip:
            continue
        value = getattr(obj, attr.key)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif not isinstance(value, str | int | float | bool | list | dict | type(None)):
            value = str(value)
        out[attr.key] = value
    return out
