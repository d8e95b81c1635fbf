"""Workers: admin CRUD with the ``active_workers`` entitlement, invites, accept-invite, login."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared import db
from shared.auth.passwords import Passwords, policy_problem
from shared.auth.tokens import hash_token
from shared.entitlements import consume
from shared.errors import BadRequest, Conflict, NotFound, Unauthorized, field_error
from shared.limits import worker_login_failures
from shared.pagination import decode_cursor, page
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.audit.service import changes, record
from tenantapp.teams.models import Team
from tenantapp.workers import notifications, sessions
from tenantapp.workers.models import Worker

INVITE_TTL = timedelta(days=7)
_PASSWORDS: dict = {}


def _now() -> datetime:
    return datetime.now(UTC)


def passwords() -> Passwords:
    """The password hasher with the deployment's settings."""
    s = current_runtime().settings
    key = (s.argon2_time_cost, s.argon2_memory_cost)
    if key not in _PASSWORDS:
        _PASSWORDS[key] = Passwords(s)
    return _PASSWORDS[key]


def _fields(w: Worker) -> dict:
    return {
        "name": w.name,
        "phone": w.phone,
        "email": w.email,
        "team_id": w.team_id,
        "skills": w.skills,
        "hourly_rate_cents": w.hourly_rate_cents,
        "pay_type": w.pay_type,
        "pay_flat_cents": w.pay_flat_cents,
        "pay_percent": w.pay_percent,
        "active": w.active,
    }


def _check_team(sess, team_id: int | None) -> None:
    if team_id is not None and sess.get(Team, team_id) is None:
        raise field_error("team_id", "No such team.")


def _new_invite(worker: Worker, now: datetime) -> str:
    """Give the worker a fresh one-time invite token (stored hashed); returns the link."""
    raw = secrets.token_urlsafe(32)
    worker.invite_token_hash = hash_token(raw)
    worker.invite_expires_at = now + INVITE_TTL
    base = current_runtime().settings.public_base_url.rstrip("/")
    # The page (tenantapp/workers/pages.py), not the JSON endpoint: the link opens in a browser.
    return f"{base}/t/{current_tenant().slug}/work/accept-invite?token={quote(raw)}"


def _email_taken(exc: IntegrityError) -> bool:
    return "uq_workers_email" in str(exc.orig)


def create_worker(data: dict) -> tuple[Worker, str]:
    """Create a worker (consuming ``active_workers`` when active) and an invite link (7 days)."""
    data = {**data, "email": data["email"].strip().lower()}
    _check_team(db.session(), data.get("team_id"))
    now = _now()
    try:
        with db.transaction() as tx:
            worker = Worker(**data)
            invite_url = _new_invite(worker, now)
            tx.add(worker)
            tx.flush()
            if worker.active:
                consume(tx, current_tenant(), "active_workers", 1)
            record(tx, "worker.create", "worker", worker.id, None, _fields(worker))
            notifications.worker_invited(tx, worker, invite_url)
    except IntegrityError as exc:
        if _email_taken(exc):
            raise Conflict("A worker with this e-mail already exists.") from exc
        raise
    return worker, invite_url


def get_worker(worker_id: int) -> Worker:
    """One worker, or 404."""
    worker = db.session().get(Worker, worker_id)
    if worker is None:
        raise NotFound("No such worker.")
    return worker


def list_workers(args: dict) -> dict:
    """Workers, one page."""
    stmt = select(Worker).order_by(Worker.id).limit(args["limit"] + 1)
    if args.get("active") is not None:
        stmt = stmt.where(Worker.active.is_(args["active"]))
    if args.get("team_id") is not None:
        stmt = stmt.where(Worker.team_id == args["team_id"])
    after = decode_cursor(args.get("cursor"), int)
    if after:
        stmt = stmt.where(Worker.id > after[0])
    return page(list(db.session().scalars(stmt)), args["limit"], lambda w: [w.id])


def update_worker(worker_id: int, data: dict) -> Worker:
    """Patch a worker. Reactivating consumes ``active_workers``; deactivating releases it and
    revokes every portal session in the same transaction (the guard reads sessions per request)."""
    if "email" in data:
        data = {**data, "email": data["email"].strip().lower()}
    _check_team(db.session(), data.get("team_id"))
    try:
        with db.transaction() as tx:
            worker = tx.get(Worker, worker_id, with_for_update=True)
            if worker is None:
                raise NotFound("No such worker.")
            was_active = worker.active
            before, after = changes(worker, data)
            if worker.active and not was_active:
                consume(tx, current_tenant(), "active_workers", 1)
            elif was_active and not worker.active:
                consume(tx, current_tenant(), "active_workers", -1)
                sessions.revoke_all(tx, worker.id)
            if after:
                tx.flush()
                record(tx, "worker.update", "worker", worker.id, before, after)
    except IntegrityError as exc:
        if _email_taken(exc):
            raise Conflict("A worker with this e-mail already exists.") from exc
        raise
    return worker


def reinvite(worker_id: int) -> tuple[Worker, str]:
    """Replace the worker's invite with a fresh 7-day link (the old one stops working)."""
    with db.transaction() as tx:
        worker = tx.get(Worker, worker_id, with_for_update=True)
        if worker is None:
            raise NotFound("No such worker.")
        if not worker.active:
            raise Conflict("Reactivate the worker before inviting them.")
        invite_url = _new_invite(worker, _now())
        record(tx, "worker.invite", "worker", worker.id)
        notifications.worker_invited(tx, worker, invite_url)
    return worker, invite_url


def accept_invite(token: str, password: str, now: datetime | None = None) -> Worker:
    """Set the worker's password from a valid, unused, unexpired invite (single use)."""
    problem = policy_problem(password)
    if problem:
        raise field_error("password", f"Password {problem}.")
    now = now or _now()
    with db.transaction() as tx:
        worker = tx.scalar(
            select(Worker).where(Worker.invite_token_hash == hash_token(token)).with_for_update()
        )
        if worker is None or not worker.active or worker.invite_expires_at <= now:
            raise BadRequest("This invite link is not valid or has expired; ask for a new one.")
        worker.password_hash = passwords().hash(password)
        worker.invite_token_hash, worker.invite_expires_at = None, None
        worker.invite_accepted_at = now
    return worker


def login(email: str, password: str) -> tuple[str, datetime]:
    """Check the worker's credentials and open a portal session (12 h token). Failures count
    per workspace and e-mail (``RATE_LIMIT_LOGIN_ACCOUNT``); the attempt after the limit is 429."""
    email = email.strip().lower()
    account = f"{current_tenant().id}:{email}"
    worker_login_failures.check(account)
    sess = db.session()
    worker = sess.scalar(select(Worker).where(Worker.email == email))
    ok = passwords().verify(worker.password_hash if worker else None, password)
    if not ok or worker is None or not worker.active:
        worker_login_failures.failed(account)
        raise Unauthorized("The e-mail or password is wrong.")
    worker_login_failures.succeeded(account)
    with db.transaction() as tx:
        return sessions.open_session(tx, worker)


def view(worker: Worker) -> dict:
    """The API view of a worker."""
    return {
        "id": worker.id,
        **_fields(worker),
        "invite_pending": worker.invite_token_hash is not None,
        "invite_expires_at": worker.invite_expires_at,
        "has_password": worker.password_hash is not None,
        "created_at": worker.created_at,
        "updated_at": worker.updated_at,
    }
