"""What the worker pages show, read through the worker portal's own services and visibility rule
(``tenantapp.portal.service``): the same jobs, the same 404s."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote_plus, urlsplit

from flask import g
from sqlalchemy import select

from shared import db
from shared.errors import AppError, NotFound
from tenantapp.bookings.models import Booking
from tenantapp.checklists import service as checklists
from tenantapp.photos import service as photos
from tenantapp.portal import service as portal
from tenantapp.settings.service import tenant_zone
from tenantapp.sms.models import SmsMessage
from tenantapp.timetracking import service as timer
from tenantapp.timetracking.models import OVERRUN_REASONS
from tenantapp.workers.models import Worker

MAX_JOBS = 60  # today's and upcoming jobs on the list (a cleaner's next few weeks)
MAX_PHOTOS = 60
OPEN_STATUSES = ("PENDING", "CONFIRMED")
ETA_CHOICES = (5, 10, 15, 20, 30, 45, 60)


def map_url(address: str | None, postal_code: str | None) -> str | None:
    """A maps link the phone opens in its maps app (Google Maps' universal search URL)."""
    where = ", ".join(p for p in (address, postal_code) if p)
    if not where:
        return None
    return f"https://www.google.com/maps/search/?api=1&query={quote_plus(where)}"


def _names(ids) -> dict[int, str]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = db.session().execute(select(Worker.id, Worker.name).where(Worker.id.in_(ids)))
    return {r.id: r.name for r in rows}


def _with_extras(job: dict, names: dict[int, str]) -> dict:
    me = portal.my_worker_id()
    job["crew"] = [
        {"id": wid, "name": names.get(wid, "?"), "me": wid == me} for wid in job["worker_ids"]
    ]
    job["map_url"] = map_url(job["address"], job["postal_code"])
    job["open"] = job["status"] in OPEN_STATUSES
    return job


def jobs_page(now: datetime | None = None) -> dict:
    """Today's jobs (also those already started or done today) and the upcoming ones."""
    zone = tenant_zone()
    now = now or datetime.now(UTC)
    today = now.astimezone(zone).date()
    midnight = datetime.combine(today, time(), zone)
    me, team = portal.my_worker_id(), g.principal.team_id
    rows = list(
        db.session().scalars(
            select(Booking)
            .where(portal.visible_to(me, team), Booking.starts_at >= midnight)
            .order_by(Booking.starts_at, Booking.id)
            .limit(MAX_JOBS)
        )
    )
    jobs = [portal.view(b) for b in rows]
    names = _names(w for j in jobs for w in j["worker_ids"])
    jobs = [_with_extras(j, names) for j in jobs]
    days: dict = {}
    for job in jobs:
        days.setdefault(job["starts_at_local"].date(), []).append(job)
    return {
        "today": days.pop(today, []),
        "tomorrow": today + timedelta(days=1),
        "upcoming": sorted(days.items()),
        "worker": db.session().get(Worker, me),
    }


def _checklist(booking_id: int, status: str) -> tuple[dict | None, str | None]:
    """The job's checklist, opened on first view of an open job (``init`` is idempotent)."""
    try:
        run = checklists.get_run(booking_id)
    except NotFound:
        if status not in OPEN_STATUSES:
            return None, None
        try:
            run = checklists.init_run(booking_id)
        except AppError as exc:  # no template and no default: nothing to tick
            return None, exc.detail
    out = checklists.view(run)
    for phase in ("BEFORE", "AFTER"):
        out[phase.lower()] = [i for i in out["items"] if i["phase"] == phase]
    out["open_required"] = [i for i in out["items"] if i["required"] and not i["done"]]
    return out, None


def _my_timer(summary: dict) -> dict:
    me = portal.my_worker_id()
    own = next((w for w in summary.get("workers", []) if w["worker_id"] == me), None)
    planned = summary.get("planned_seconds", 0) // max(summary.get("crew_size", 1), 1)
    if own is None:
        return {"state": "NOT_STARTED", "effective_seconds": 0, "planned_seconds": planned}
    return own


def _photos(booking_id: int) -> list[dict]:
    me = str(portal.my_worker_id())
    page = photos.list_photos(booking_id, {"limit": MAX_PHOTOS, "cursor": None})
    out = []
    for p in page["items"]:
        url = photos.signed_url(booking_id, p.id, single_use=False)["url"]
        parts = urlsplit(url)  # same origin as the page (img-src 'self')
        out.append(
            {
                "id": p.id,
                "phase": p.phase,
                "url": f"{parts.path}?{parts.query}",
                "mine": p.uploaded_by_type == "worker" and p.uploaded_by_id == me,
                "review_status": p.review_status,
                "needs_retake": p.needs_retake,
                "created_at": p.created_at,
            }
        )
    return out


def _on_my_way_sent(booking_id: int) -> datetime | None:
    return db.session().scalar(
        select(SmsMessage.created_at)
        .where(SmsMessage.booking_id == booking_id, SmsMessage.template == "on_my_way")
        .order_by(SmsMessage.id)
        .limit(1)
    )


def job_page(booking_id: int) -> dict:
    """One of the worker's jobs (404 otherwise) with its checklist, timer and photos."""
    booking = portal.visible_job(booking_id)
    job = portal.view(booking)
    job = _with_extras(job, _names(job["worker_ids"]))
    checklist, checklist_problem = _checklist(booking_id, booking.status)
    summary = timer.summary(booking_id)
    zone = tenant_zone()
    sent = _on_my_way_sent(booking_id)
    return {
        "job": job,
        "checklist": checklist,
        "checklist_problem": checklist_problem,
        "timer": _my_timer(summary),
        "crew_timer": summary,
        "photos": _photos(booking_id),
        "photo_consent": booking.photo_consent,
        "on_my_way_at": sent.astimezone(zone) if sent else None,
        "eta_choices": ETA_CHOICES,
        "overrun_reasons": OVERRUN_REASONS,
    }
