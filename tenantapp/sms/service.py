"""SMS of a tenant: queueing texts (automated and staff replies), the thread, conversations.

Every text is an outbox row (channel ``sms``, dedupe key ``sms:<cause>``) written in the
transaction that caused it, plus its line on the customer's thread (``sms_messages``). What may
be sent is decided twice: here (consent, the first-text footer, quiet hours, segments) and again
by the sender just before it goes (a STOP, the plan limit or quiet hours may have come since).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import g, has_request_context
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on

from shared import db
from shared.crypto import SEALED_KEY, seal
from shared.entitlements import consume
from shared.errors import Conflict, NotFound
from shared.outbox import enqueue
from shared.pagination import decode_cursor, encode_cursor
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.customers.models import Customer
from tenantapp.outbox.models import OutboxMessage
from tenantapp.settings.models import TenantSettings
from tenantapp.settings.service import tenant_zone
from tenantapp.sms import consent, quiet, segments, templates
from tenantapp.sms.models import SmsMessage

STAFF_MAX_CHARS = 1600
METRIC = "sms_segments"


@dataclass(frozen=True)
class Queued:
    message: SmsMessage
    outbox_id: int


def shared_sender(settings: TenantSettings) -> bool:
    """Does this tenant send through the platform's Messaging Service (no own number)?"""
    return not settings.sms_from


def base_context(settings: TenantSettings) -> dict:
    return {
        "company_name": settings.company_name,
        "contact_phone": settings.contact_phone or settings.sms_from or "us",
        "contact_email": settings.contact_email or "",
    }


def is_first_to(sess, phone: str) -> bool:
    """No text has gone (or is queued) to ``phone`` from this tenant yet."""
    return (
        sess.scalar(
            select(SmsMessage.id)
            .where(
                SmsMessage.phone == phone,
                SmsMessage.direction == "out",
                SmsMessage.status.in_(("queued", "sent", "delivered")),
            )
            .limit(1)
        )
        is None
    )


def compose(sess, phone: str, body: str) -> tuple[str, int]:
    """The final text (with the opt-out footer on a first text) and its segment count."""
    final = templates.with_footer(body, is_first_to(sess, phone))
    return final, segments.count(final).segments


def queue_sms(
    sess,
    customer: Customer,
    template: str,
    context: dict,
    cause: str,
    *,
    booking_id: int | None = None,
    now: datetime | None = None,
    secrets: dict | None = None,
) -> Queued | None:
    """Queue the automated ``template`` text to ``customer`` in ``sess``'s transaction.

    None when the customer may not be texted (no phone, no opt-in, STOP) or the same cause was
    queued before (dedupe key ``sms:<cause>``). In quiet hours the row waits until they end.
    ``secrets`` (links carrying a token) are sealed in the outbox row and shown as ``[link]``
    on the thread (SPEC §8).
    """
    now = now or datetime.now(UTC)
    settings = sess.get(TenantSettings, 1)
    allowed, _why = consent.may_text(sess, customer, shared_sender(settings))
    if not allowed:
        return None
    base = {**base_context(settings), **context}
    body = templates.render(template, {**base, **(secrets or {})})
    shown = templates.render(template, {**base, **dict.fromkeys(secrets or {}, LINK)})
    zone = tenant_zone()
    not_before = quiet.quiet_until(now, zone, settings.sms_quiet_start, settings.sms_quiet_end)
    return _queue(
        sess,
        customer,
        body,
        template,
        f"sms:{cause}",
        automated=True,
        booking_id=booking_id,
        not_before=not_before,
        shown=shown,
    )


LINK = "[link]"


def _queue(
    sess,
    customer: Customer,
    body: str,
    template: str,
    dedupe_key: str,
    *,
    automated: bool,
    booking_id: int | None = None,
    not_before: datetime | None = None,
    author_id=None,
    shown: str | None = None,
) -> Queued | None:
    """The outbox row (the text sealed in its payload) and the thread's line (``shown``: the
    text with its secret links replaced; the segments are the real text's)."""
    phone = consent.e164(customer.phone)
    first = is_first_to(sess, phone)
    final = templates.with_footer(body, first)
    parts = segments.count(final).segments
    outbox_id = enqueue(
        sess,
        OutboxMessage,
        kind="sms",
        topic=template,
        dedupe_key=dedupe_key,
        recipient=phone,
        payload={
            "automated": automated,
            "metered": not automated,
            SEALED_KEY: seal({"body": final}),
        },
        not_before=not_before,
    )
    if outbox_id is None:
        return None
    message = SmsMessage(
        customer_id=customer.id,
        direction="out",
        phone=phone,
        body=templates.with_footer(shown, first) if shown is not None else final,
        template=template,
        status="queued",
        segments=parts,
        outbox_id=outbox_id,
        author_id=author_id,
        booking_id=booking_id,
    )
    sess.add(message)
    sess.flush()
    return Queued(message, outbox_id)


def _principal_user():
    """The staff user sending (workers and jobs leave no author)."""
    principal = g.get("principal") if has_request_context() else None
    if getattr(principal, "typ", None) != "staff":
        return None
    return getattr(principal, "user_id", None)


def direct_text(
    tx,
    customer: Customer,
    template: str,
    context: dict | None,
    cause: str,
    booking_id: int | None = None,
    *,
    body: str | None = None,
) -> SmsMessage:
    """A text a person sends now (a staff reply, a worker's "on my way"): not automated, so no
    quiet hours; metered at once (402 ``limit_reached`` over the plan); 409 ``opted_out`` when
    the customer may not be texted, 409 ``conflict`` when ``cause`` was sent before."""
    settings = tx.get(TenantSettings, 1)
    allowed, why = consent.may_text(tx, customer, shared_sender(settings))
    if not allowed:
        detail = (
            "This customer has no mobile number on file."
            if why == "no_phone"
            else "This customer has not agreed to texts, or replied STOP."
        )
        raise Conflict(detail, code="opted_out")
    if body is None:
        body = templates.render(template, {**base_context(settings), **(context or {})})
    queued = _queue(
        tx,
        customer,
        body,
        template,
        f"sms:{cause}",
        automated=False,
        booking_id=booking_id,
        author_id=_principal_user(),
    )
    if queued is None:
        raise Conflict("This text was sent already.", code="conflict")
    tenant = current_tenant()
    # Usage-event keys are unique across tenants: the tenant id keeps them apart.
    key = f"sms:{tenant.id}:{cause}"
    consume(tx, tenant, METRIC, queued.message.segments, idempotency_key=key)
    return queued.message


def staff_reply(customer_id: int, body: str) -> SmsMessage:
    """Staff text a customer now (SPEC §5.12): ≤ 1 600 characters, metered; audited."""
    with db.transaction() as tx:
        customer = tx.get(Customer, customer_id, with_for_update=True)
        if customer is None or customer.anonymized_at is not None:
            raise NotFound("No such customer.")
        cause = f"reply:{uuid.uuid4().hex}"
        message = direct_text(tx, customer, "staff_reply", None, cause, body=body)
        record(
            tx,
            "sms.reply",
            "customer",
            customer.id,
            None,
            {"sms_message_id": message.id, "segments": message.segments},
        )
    return message


# ------------------------------------------------------------------ the thread
def _email_rows(customer: Customer, before: tuple | None, limit: int):
    if not customer.email:
        return []
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.kind == "email",
            func.lower(OutboxMessage.recipient) == customer.email.lower(),
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        at, source, row_id = before
        stmt = stmt.where(
            or_(
                OutboxMessage.created_at < at,
                and_(OutboxMessage.created_at == at, source == "email", OutboxMessage.id < row_id),
                and_(OutboxMessage.created_at == at, source == "sms"),
            )
        )
    return list(db.session().scalars(stmt))


def _sms_rows(customer: Customer, before: tuple | None, limit: int):
    stmt = (
        select(SmsMessage)
        .where(SmsMessage.customer_id == customer.id)
        .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        at, source, row_id = before
        stmt = stmt.where(
            or_(
                SmsMessage.created_at < at,
                and_(SmsMessage.created_at == at, source == "sms", SmsMessage.id < row_id),
            )
        )
    return list(db.session().scalars(stmt))


def _sms_item(m: SmsMessage) -> dict:
    return {
        "id": f"sms-{m.id}",
        "channel": "sms",
        "direction": m.direction,
        "body": m.body,
        "subject": None,
        "template": m.template,
        "status": m.status,
        "reason": m.reason,
        "segments": m.segments,
        "created_at": m.created_at,
        "read_at": m.read_at,
        "_key": (m.created_at, "sms", m.id),
    }


def _email_item(m: OutboxMessage) -> dict:
    return {
        "id": f"email-{m.id}",
        "channel": "email",
        "direction": "out",
        "body": None,
        "subject": None,
        "template": m.topic,
        "status": m.status,
        "reason": m.last_error if m.status in ("dead", "skipped") else None,
        "segments": None,
        "created_at": m.created_at,
        "read_at": None,
        "_key": (m.created_at, "email", m.id),
    }


def thread(customer_id: int, limit: int, cursor: str | None) -> dict:
    """The customer's messages, e-mail and SMS, in and out, newest first. Opening the first page
    marks their inbound texts read."""
    sess = db.session()
    customer = sess.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    raw = decode_cursor(cursor, datetime.fromisoformat, str, int)
    before = tuple(raw) if raw else None
    items = [_sms_item(m) for m in _sms_rows(customer, before, limit)]
    items += [_email_item(m) for m in _email_rows(customer, before, limit)]
    # Newest first; at the same instant SMS before e-mail, higher ids first (the cursor's order).
    items.sort(key=lambda i: (i["_key"][0], i["_key"][1] == "sms", i["_key"][2]), reverse=True)
    page_items, more = items[:limit], len(items) > limit
    next_cursor = None
    if more and page_items:
        at, source, row_id = page_items[-1]["_key"]
        next_cursor = encode_cursor([at.isoformat(), source, row_id])
    if cursor is None:
        with db.transaction() as tx:
            tx.execute(
                update(SmsMessage)
                .where(
                    SmsMessage.customer_id == customer_id,
                    SmsMessage.direction == "in",
                    SmsMessage.read_at.is_(None),
                )
                .values(read_at=func.now())
            )
    return {"items": page_items, "next_cursor": next_cursor}


def conversations(unread_only: bool, limit: int, cursor: str | None) -> dict:
    """Customers who texted in: unread first, then by their latest inbound text."""
    sess = db.session()
    inbound = (
        select(
            SmsMessage.customer_id.label("customer_id"),
            func.max(SmsMessage.created_at).label("last_at"),
            func.count().filter(SmsMessage.read_at.is_(None)).label("unread"),
        )
        .where(SmsMessage.direction == "in")
        .group_by(SmsMessage.customer_id)
        .subquery()
    )
    has_unread = (inbound.c.unread > 0).label("has_unread")
    stmt = (
        select(Customer, inbound.c.last_at, inbound.c.unread, has_unread)
        .join(inbound, inbound.c.customer_id == Customer.id)
        .order_by(has_unread.desc(), inbound.c.last_at.desc(), Customer.id.desc())
        .limit(limit + 1)
    )
    if unread_only:
        stmt = stmt.where(inbound.c.unread > 0)
    after = decode_cursor(cursor, int)
    if after:
        stmt = stmt.offset(after[0])
    rows = sess.execute(stmt).all()
    offset = after[0] if after else 0
    # The latest inbound text of each customer on the page, in one query (not one a row).
    ids = [customer.id for customer, *_ in rows[:limit]]
    latest = (
        dict(
            sess.execute(
                select(SmsMessage.customer_id, SmsMessage.body)
                .where(SmsMessage.customer_id.in_(ids), SmsMessage.direction == "in")
                .order_by(SmsMessage.customer_id, SmsMessage.id.desc())
                .ext(distinct_on(SmsMessage.customer_id))
            ).all()
        )
        if ids
        else {}
    )
    items = []
    for customer, last_at, unread, _ in rows[:limit]:
        last = latest.get(customer.id)
        items.append(
            {
                "customer_id": customer.id,
                "name": customer.name,
                "phone": customer.phone,
                "unread": int(unread),
                "last_message_at": last_at,
                "last_message": last,
            }
        )
    next_cursor = encode_cursor([offset + limit]) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def staff_alert_address(sess) -> str | None:
    """Where staff notifications go: the workspace's contact e-mail."""
    row = sess.get(TenantSettings, 1)
    return row.contact_email if row else None


def site_url() -> str:
    tenant = current_tenant()
    return f"{current_runtime().settings.public_base_url.rstrip('/')}/t/{tenant.slug}"


def opt_out(sess, phone: str, source: str, now: datetime | None = None) -> int:
    """``phone`` said STOP: record it and drop its queued texts (``opted_out``); returns how
    many were dropped. Runs in the caller's transaction."""
    consent.record(sess, phone, opted_in=False, source=source, now=now)
    dropped = sess.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == "sms",
            OutboxMessage.recipient == phone,
            OutboxMessage.status == "pending",
        )
        .values(status="skipped", last_error="opted_out", next_attempt_at=func.now())
        .returning(OutboxMessage.id)
    ).scalars()
    ids = list(dropped)
    if ids:
        sess.execute(
            update(SmsMessage)
            .where(SmsMessage.outbox_id.in_(ids))
            .values(status="dropped", reason="opted_out")
        )
    return len(ids)
