"""What the console's Today page and schedule board read: bookings with their customer's name,
teams, blackouts and the day's counters. Read-only queries sized for a page (each bounded and on
an index: bookings by ``starts_at``, leads and invoices by status); the writes go through the
features' own services (lifecycle, staff bookings, bulk)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from shared import db
from tenantapp.bookings.crews import crews_of
from tenantapp.bookings.models import Booking, BookingWorker
from tenantapp.customers.models import Customer
from tenantapp.invoices.models import Invoice
from tenantapp.invoices.state import OPEN
from tenantapp.leads.models import Lead
from tenantapp.plans import service as plans
from tenantapp.scheduling.models import Blackout
from tenantapp.scheduling.service import list_teams
from tenantapp.settings.service import tenant_zone
from tenantapp.sms.models import SmsMessage

LIVE = ("PENDING", "CONFIRMED")
BOARD_LIMIT = 2000  # blocks on one board (a week of a busy company is ~1 000)
LIST_LIMIT = 50


@dataclass(frozen=True)
class Block:
    id: int
    status: str
    team_id: int | None
    customer_id: int
    customer_name: str
    service_type: str
    starts_local: datetime
    ends_local: datetime
    duration_minutes: int
    plan_id: int | None
    worker_ids: tuple[int, ...] = ()


def local_today(zone: ZoneInfo | None = None) -> date:
    return datetime.now(zone or tenant_zone()).date()


def day_bounds(first: date, days: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants of local midnight of ``first`` and of ``first + days`` (DST-safe)."""
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=days), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def blocks(
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    statuses=("PENDING", "CONFIRMED", "DONE"),
    limit: int = BOARD_LIMIT,
    with_crews: bool = False,
) -> list[Block]:
    """Bookings starting in [start, end) with their customer's name and address, by start."""
    # Columns, not ORM rows: a week board reads ~1 000 bookings, and a full row carries JSONB
    # (estimate, policy snapshot) the board never shows. The names come in a second query by
    # primary key: joined, Postgres hashes all 50 000 customers for 1 000 bookings (40 ms).
    stmt = (
        select(
            Booking.id,
            Booking.status,
            Booking.team_id,
            Booking.customer_id,
            Booking.service_type,
            Booking.starts_at,
            Booking.ends_at,
            Booking.duration_minutes,
            Booking.plan_id,
        )
        .where(Booking.starts_at >= start, Booking.starts_at < end)
        .order_by(Booking.starts_at, Booking.id)
        .limit(limit)
    )
    if statuses:
        stmt = stmt.where(Booking.status.in_(statuses))
    sess = db.session()
    rows = sess.execute(stmt).all()
    names = customer_names(sess, {r.customer_id for r in rows})
    crews = crews_of(sess, [r.id for r in rows]) if rows and with_crews else {}
    return [
        Block(
            id=r.id,
            status=r.status,
            team_id=r.team_id,
            customer_id=r.customer_id,
            customer_name=names.get(r.customer_id, ""),
            service_type=r.service_type,
            starts_local=r.starts_at.astimezone(zone),
            ends_local=r.ends_at.astimezone(zone),
            duration_minutes=r.duration_minutes,
            plan_id=r.plan_id,
            worker_ids=tuple(crews.get(r.id, ())),
        )
        for r in rows
    ]


def customer_names(sess, ids) -> dict[int, str]:
    """Customer id → name for ``ids`` (primary-key lookups)."""
    if not ids:
        return {}
    return dict(sess.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all())


def blackouts(start: datetime, end: datetime) -> list[Blackout]:
    """Blackouts overlapping [start, end) (``team_id`` None: every team)."""
    stmt = (
        select(Blackout)
        .where(Blackout.starts_at < end, Blackout.ends_at > start)
        .order_by(Blackout.starts_at)
        .limit(500)
    )
    return list(db.session().scalars(stmt))


def teams() -> list:
    return [t for t in list_teams() if t.active]


def _overdue_cents(on: date) -> tuple[int, int]:
    owed = (
        Invoice.total_cents - Invoice.credited_cents - Invoice.paid_cents + Invoice.refunded_cents
    )
    row = (
        db.session()
        .execute(
            select(func.count(), func.coalesce(func.sum(owed), 0)).where(
                Invoice.status.in_(OPEN), Invoice.due_date < on, owed > 0
            )
        )
        .one()
    )
    return int(row[0]), int(row[1])


def today() -> dict:
    """Today's jobs by status and team, and what needs someone: visits without a crew or team,
    plan conflicts, unpaid deposits, overdue invoices, new leads and unread texts."""
    zone = tenant_zone()
    day = local_today(zone)
    start, end = day_bounds(day, 1, zone)
    sess = db.session()
    jobs = blocks(start, end, zone, statuses=("PENDING", "CONFIRMED", "DONE", "CANCELLED"))
    team_list = teams()
    names = {t.id: t.name for t in team_list}
    by_team: dict[int | None, Counter] = {}
    for job in jobs:
        by_team.setdefault(job.team_id, Counter())[job.status] += 1
    week_end = day_bounds(day, 7, zone)[1]
    no_crew = (
        Booking.starts_at >= start,
        Booking.starts_at < week_end,
        Booking.status.in_(LIVE),
        ~select(BookingWorker.booking_id).where(BookingWorker.booking_id == Booking.id).exists(),
    )
    unassigned_count = sess.scalar(select(func.count()).select_from(Booking).where(*no_crew))
    upcoming = [
        {
            "id": r.id,
            "starts_local": r.starts_at.astimezone(zone),
            "team_id": r.team_id,
            "customer_name": r.name,
        }
        for r in sess.execute(
            select(Booking.id, Booking.starts_at, Booking.team_id, Customer.name)
            .join(Customer, Customer.id == Booking.customer_id)
            .where(*no_crew)
            .order_by(Booking.starts_at, Booking.id)
            .limit(LIST_LIMIT)
        )
    ]
    conflicts = plans.conflicts(day, day + timedelta(days=14), zone)
    deposits = list(
        sess.execute(
            select(Booking.id, Booking.starts_at, Booking.deposit_amount_cents, Customer.name)
            .join(Customer, Customer.id == Booking.customer_id)
            .where(
                Booking.status == "PENDING",
                Booking.deposit_required.is_(True),
                Booking.deposit_status == "pending",
                Booking.starts_at >= start,
            )
            .order_by(Booking.starts_at)
            .limit(LIST_LIMIT)
        )
    )
    overdue_count, overdue_cents = _overdue_cents(day)
    new_leads = list(
        sess.execute(
            select(Lead.id, Lead.name, Lead.created_at)
            .where(Lead.status == "NEW")
            .order_by(Lead.id.desc())
            .limit(10)
        )
    )
    new_leads_count = sess.scalar(select(func.count()).where(Lead.status == "NEW"))
    unread = sess.scalar(
        select(func.count()).where(SmsMessage.direction == "in", SmsMessage.read_at.is_(None))
    )
    return {
        "day": day,
        "zone": zone,
        "jobs": jobs,
        "team_names": names,
        "by_team": sorted(
            by_team.items(), key=lambda kv: (kv[0] is None, names.get(kv[0], ""), kv[0] or 0)
        ),
        "unassigned": upcoming,
        "unassigned_count": unassigned_count or 0,
        "conflicts": conflicts[:LIST_LIMIT],
        "conflict_count": len(conflicts),
        "deposits": [
            {
                "id": r.id,
                "starts_local": r.starts_at.astimezone(zone),
                "amount_cents": r.deposit_amount_cents,
                "name": r.name,
            }
            for r in deposits
        ],
        "overdue_count": overdue_count,
        "overdue_cents": overdue_cents,
        "new_leads": new_leads,
        "new_leads_count": new_leads_count or 0,
        "unread": unread or 0,
    }
