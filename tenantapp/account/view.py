"""What the account page shows, read from the same services and rows as the API.

The page never decides a rule by itself: the refund comes from ``bookings.policy.refund_for``,
reschedule times from ``bookings.availability.find_slots``, whether a visit may still be moved or
skipped from the same policy the actions enforce (the actions re-check and answer 409).
Everything is scoped to one customer: a booking, plan or invoice of anyone else is a 404.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from shared import db
from shared.errors import NotFound
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from shared.web import i18n
from tenantapp.bookings import availability, policy
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property, ReferralCredit
from tenantapp.invoices import links as invoice_links
from tenantapp.invoices import reading as invoice_reading
from tenantapp.invoices.models import Invoice
from tenantapp.leads.models import Lead
from tenantapp.payments import cards
from tenantapp.photos import service as photos
from tenantapp.photos.models import Photo
from tenantapp.plans import service as plans
from tenantapp.plans.models import ServicePlan
from tenantapp.settings.models import TenantSettings
from tenantapp.settings.service import tenant_zone

LIVE = ("PENDING", "CONFIRMED")
SKIP_NOTICE = timedelta(hours=48)  # SPEC §5.10: customers skip or pause until 48 h before
PAST_SHOWN = 10
UPCOMING_SHOWN = 20
INVOICES_SHOWN = 50


def utcnow() -> datetime:
    return datetime.now(UTC)


def site_url(path: str = "") -> str:
    base = current_runtime().settings.public_base_url.rstrip("/")
    return f"{base}/t/{current_tenant().slug}{path}"


def invoice_page_url(invoice_id: int) -> str:
    """The customer's invoice page (its signed token is the credential)."""
    return invoice_links.page_url(invoice_id)


def owned_booking(customer_id: int, booking_id: int) -> Booking:
    """The booking if it is this customer's; else 404 (never 403: ids are not confirmed)."""
    booking = db.session().get(Booking, booking_id)
    if booking is None or booking.customer_id != customer_id:
        raise NotFound("No such booking.")
    return booking


def owned_plan(customer_id: int, plan_id: int) -> ServicePlan:
    plan = db.session().get(ServicePlan, plan_id)
    if plan is None or plan.customer_id != customer_id:
        raise NotFound("No such plan.")
    return plan


def _addresses(customer_id: int, bookings: list[Booking]) -> dict[int, str]:
    """booking id → the address of its property (or of its lead, for older bookings)."""
    sess = db.session()
    places = {
        p.id: ", ".join(x for x in (p.address, p.postal_code) if x)
        for p in sess.scalars(select(Property).where(Property.customer_id == customer_id))
    }
    lead_ids = [b.lead_id for b in bookings if b.property_id is None and b.lead_id]
    leads = {}
    if lead_ids:
        leads = {
            lead.id: ", ".join(x for x in (lead.address, lead.postal_code) if x)
            for lead in sess.scalars(select(Lead).where(Lead.id.in_(lead_ids)))
        }
    return {b.id: places.get(b.property_id) or leads.get(b.lead_id) or "" for b in bookings}


def refund_preview(booking: Booking, now: datetime) -> dict:
    """What cancelling now would refund of the paid deposit, under the booking's own policy."""
    paid = booking.deposit_amount_cents if booking.deposit_status == "paid" else 0
    refund = policy.refund_for(booking.policy_snapshot, paid, booking.starts_at, now) if paid else 0
    windows = booking.policy_snapshot.get("cancellation") or {}
    if not paid:
        kind = "nothing_paid"
    elif refund == paid:
        kind = "full"
    elif refund:
        kind = "partial"
    else:
        kind = "none"
    return {
        "paid_cents": paid,
        "refund_cents": refund,
        "kind": kind,
        "free_hours": windows.get("free_hours"),
        "partial_hours": windows.get("partial_hours"),
    }


def visit(booking: Booking, zone: ZoneInfo, now: datetime, address: str, lang: str) -> dict:
    """One visit as the page shows it, with the actions the policy still allows."""
    labels = i18n.section("book.service_types", lang)
    live = booking.status in LIVE and booking.starts_at > now
    snapshot = booking.policy_snapshot or {}
    may_move = bool(snapshot.get("cancellation")) and policy.may_reschedule(
        snapshot, booking.starts_at, now
    )
    return {
        "id": booking.id,
        "status": booking.status,
        "starts_at_local": booking.starts_at.astimezone(zone),
        "ends_at_local": booking.ends_at.astimezone(zone),
        "service": labels.get(booking.service_type, booking.service_type),
        "service_type": booking.service_type,
        "address": address,
        "plan_id": booking.plan_id,
        "total_cents": booking.total_cents,
        "deposit_status": booking.deposit_status,
        "checkout_url": booking.deposit_checkout_url
        if booking.deposit_status == "pending"
        else None,
        "can_reschedule": live and may_move,
        "can_cancel": live and booking.plan_id is None,
        "can_skip": live and booking.plan_id is not None and booking.starts_at - now >= SKIP_NOTICE,
        "estimate_request": booking.estimate_request or {},
    }


def _referral(customer_id: int) -> dict:
    sess = db.session()
    code = sess.scalar(
        select(Lead.referral_code).where(Lead.customer_id == customer_id).order_by(Lead.id).limit(1)
    )
    credit = sess.scalar(
        select(func.coalesce(func.sum(ReferralCredit.amount_cents), 0)).where(
            ReferralCredit.customer_id == customer_id, ReferralCredit.redeemed_at.is_(None)
        )
    )
    return {
        "code": code,
        "credit_cents": int(credit or 0),
        "share_url": site_url(f"/book?ref={code}") if code else None,
    }


def _plans(customer_id: int, now: datetime) -> list[dict]:
    out = []
    for plan in db.session().scalars(
        select(ServicePlan)
        .where(ServicePlan.customer_id == customer_id, ServicePlan.status.in_(("ACTIVE", "PAUSED")))
        .order_by(ServicePlan.id)
    ):
        zone = ZoneInfo(plan.time_zone)
        coming = plans.upcoming(plan, now, count=4)
        nxt = next((v for v in coming if v["starts_at"] > now), None)
        out.append(
            {
                "id": plan.id,
                "status": plan.status,
                "frequency": plan.frequency,
                "start_local": plan.start_time,
                "service_type": plan.service_type,
                "total_cents": plan.total_before_tax_cents,
                "paused_from": plan.paused_from,
                "paused_until": plan.paused_until,
                "next": [v["starts_at"].astimezone(zone) for v in coming],
                "cancel_requested_at": plan.cancel_requested_at.astimezone(zone)
                if plan.cancel_requested_at
                else None,
                "can_pause": plan.status == "ACTIVE"
                and (nxt is None or nxt["starts_at"] - now >= SKIP_NOTICE),
            }
        )
    return out


def _invoices(customer_id: int) -> list[dict]:
    found = invoice_reading.list_invoices({"customer_id": customer_id, "limit": INVOICES_SHOWN})
    out = []
    for inv in found["items"]:
        if inv["status"] in ("DRAFT", "VOID"):
            continue
        out.append({**inv, "page_url": invoice_page_url(inv["id"])})
    return out


def _past(customer_id: int, zone: ZoneInfo, now: datetime, lang: str) -> list[dict]:
    sess = db.session()
    done = list(
        sess.scalars(
            select(Booking)
            .where(Booking.customer_id == customer_id, Booking.status == "DONE")
            .order_by(Booking.starts_at.desc())
            .limit(PAST_SHOWN)
        )
    )
    addresses = _addresses(customer_id, done)
    approved: dict[int, list[Photo]] = {}
    if done:
        for p in sess.scalars(
            select(Photo)
            .where(Photo.booking_id.in_([b.id for b in done]), Photo.review_status == "APPROVED")
            .order_by(Photo.created_at)
        ):
            approved.setdefault(p.booking_id, []).append(p)
    out = []
    for b in done:
        item = visit(b, zone, now, addresses[b.id], lang)
        item["photos"] = [
            {
                "url": photos.signed_url(b.id, p.id, single_use=False)["url"],
                "phase": p.phase,
            }
            for p in approved.get(b.id, [])
        ]
        item["book_again_url"] = book_again_url(b)
        out.append(item)
    return out


def book_again_url(booking: Booking) -> str:
    """The booking page prefilled with this visit's home and service."""
    req = booking.estimate_request or {}
    params = [f"service_type={booking.service_type}"]
    for key in ("beds", "baths"):
        if req.get(key) is not None:
            params.append(f"{key}={req[key]}")
    return site_url("/book?" + "&".join(params))


def overview(customer_id: int, lang: str, now: datetime | None = None) -> dict:
    """Everything the signed-in customer's page shows."""
    now = now or utcnow()
    sess = db.session()
    customer = sess.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    zone = tenant_zone()
    coming = list(
        sess.scalars(
            select(Booking)
            .where(
                Booking.customer_id == customer_id,
                Booking.status.in_(LIVE),
                Booking.starts_at > now,
            )
            .order_by(Booking.starts_at)
            .limit(UPCOMING_SHOWN)
        )
    )
    addresses = _addresses(customer_id, coming)
    return {
        "customer": {"name": customer.name, "email": customer.email},
        "upcoming": [visit(b, zone, now, addresses[b.id], lang) for b in coming],
        "plans": _plans(customer_id, now),
        "invoices": _invoices(customer_id),
        "referral": _referral(customer_id),
        "past": _past(customer_id, zone, now, lang),
        "card": cards.card_view(customer_id),
        "cards_online": bool(sess.get(TenantSettings, 1).stripe_account_id),
    }


def one_booking(booking: Booking, lang: str, now: datetime | None = None) -> dict:
    """A single visit (the manage link's view, and the action pages)."""
    now = now or utcnow()
    address = _addresses(booking.customer_id, [booking])[booking.id]
    return visit(booking, tenant_zone(), now, address, lang)


def times_for(booking: Booking, day: date) -> dict:
    """Free starts on ``day`` for this visit's length (the slots service, like ``GET /slots``)."""
    found = availability.find_slots(day, booking.duration_minutes, None)
    zone = tenant_zone()
    return {
        "date": day,
        "clarifier": found["clarifier"],
        "times": [
            {"starts_at": s["starts_at"], "local": s["starts_at"].astimezone(zone)}
            for s in found["suggestions"]
            if s["starts_at"] != booking.starts_at
        ],
    }


def invoice_customer(invoice_id: int) -> int | None:
    return db.session().scalar(select(Invoice.customer_id).where(Invoice.id == invoice_id))
