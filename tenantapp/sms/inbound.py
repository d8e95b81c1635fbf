"""Twilio's webhooks applied inside the tenant that owns the number (SPEC §5.12).

The control plane verifies the signature and finds the tenant (``controlplane.twilio``); these
functions run in that tenant's context and own their transaction. One way: webhook → these
domain actions → rows.

Inbound text: the MessageSid is stored once (a retried webhook changes nothing). ``STOP``,
``STOPALL``, ``UNSUBSCRIBE``, ``CANCEL``, ``END``, ``QUIT`` (any case, trimmed) opt the number out
at once and drop its queued texts; ``START``/``UNSTOP`` opt it back in; ``HELP`` is answered with
the company's name and contact. Any other text lands on the customer's thread (an unknown number
becomes a new contact without a lead) and staff are e-mailed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from shared import db
from tenantapp.customers.models import Customer
from tenantapp.settings.models import TenantSettings
from tenantapp.sms import consent, notifications, segments, templates
from tenantapp.sms.models import SmsMessage
from tenantapp.sms.service import base_context, opt_out

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP"})
# Twilio status → the thread's status; intermediate states keep "sent".
DELIVERY_STATUSES = {
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
}


def keyword(body: str) -> str | None:
    """``stop``/``start``/``help`` when the whole text is one of their words, else None."""
    word = (body or "").strip().upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def help_text(sess) -> str:
    return templates.render("help", base_context(sess.get(TenantSettings, 1)))


def _contact(sess, phone: str) -> Customer:
    """The customer with this number, else a new lead-less contact named by the number."""
    found = consent.customers_with(sess, phone)
    if found:
        return found[0]
    customer = Customer(name=phone, email=None, phone=phone)
    sess.add(customer)
    sess.flush()
    return customer


def handle_inbound(form: dict, now: datetime | None = None) -> dict:
    """Apply one inbound text → ``{"outcome": ..., "reply": text | None}``."""
    now = now or datetime.now(UTC)
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    phone = consent.e164(form.get("From"))
    body = (form.get("Body") or "")[:1600]
    if not sid or phone is None:
        return {"outcome": "ignored", "reply": None}
    word = keyword(body)
    with db.transaction() as tx:
        if word == "stop":
            opt_out(tx, phone, source="sms_stop", now=now)
            return {"outcome": "opted_out", "reply": None}
        if word == "start":
            consent.record(tx, phone, opted_in=True, source="sms_start", now=now)
            return {"outcome": "opted_in", "reply": None}
        if word == "help":
            return {"outcome": "help", "reply": help_text(tx)}
        customer = _contact(tx, phone)
        inserted = tx.execute(
            insert(SmsMessage)
            .values(
                customer_id=customer.id,
                direction="in",
                phone=phone,
                body=body,
                status="received",
                segments=max(segments.count(body).segments, 1),
                provider_sid=sid,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["provider_sid"])
            .returning(SmsMessage.id)
        ).scalar()
        if inserted is None:
            return {"outcome": "duplicate", "reply": None}
        message = tx.get(SmsMessage, inserted)
        notifications.notify_inbound(tx, customer, message)
    return {"outcome": "received", "reply": None}


def handle_status(form: dict) -> dict:
    """A delivery report for one of our texts: its status (and Twilio's error code) on the
    thread. Reports may arrive in any order and any number of times; a final state stays."""
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    status = DELIVERY_STATUSES.get((form.get("MessageStatus") or "").strip().lower())
    if not sid or status is None:
        return {"outcome": "ignored"}
    code = (form.get("ErrorCode") or "").strip()
    with db.transaction() as tx:
        changed = tx.execute(
            update(SmsMessage)
            .where(
                SmsMessage.provider_sid == sid,
                SmsMessage.direction == "out",
                SmsMessage.status.in_(("queued", "sent")),
            )
            .values(status=status, reason=f"twilio_{code}" if code else None)
            .returning(SmsMessage.id)
        ).scalar()
        if changed is None:
            known = tx.scalar(select(SmsMessage.id).where(SmsMessage.provider_sid == sid))
            return {"outcome": "duplicate" if known else "unknown_message"}
        if code == "21610":
            phone = tx.scalar(select(SmsMessage.phone).where(SmsMessage.id == changed))
            opt_out(tx, phone, source="twilio_21610")
    return {"outcome": status}


def shared_reply(sess) -> str:
    """The answer to a reply sent to the shared Messaging Service (no two-way there)."""
    return templates.render("shared_reply", base_context(sess.get(TenantSettings, 1)))
