"""Tenant e-mail: templates, enqueueing in the caller's transaction, delivery, unsubscribes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr, parseaddr
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.crypto import SEALED_KEY, DecryptionFailed, seal, unsealed
from shared.errors import BadRequest
from shared.mail import OutgoingMail, transport_from_settings
from shared.mail.message import message_id
from shared.mail.render import render
from shared.mail.unsubscribe import InvalidUnsubscribeToken, make_token, read_token
from shared.outbox import enqueue
from shared.outbox.delivery import Message, Permanent, Skip
from shared.runtime import current_runtime
from shared.tenancy import TenantRef, current_tenant
from tenantapp.messaging.models import EmailSuppression
from tenantapp.outbox.models import OutboxMessage
from tenantapp.settings.models import TenantSettings

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class EmailKind:
    """One tenant e-mail a feature sends: its template and whether the recipient may opt out.

    Transactional mail (a booking they made, a cancellation, an invitation, staff notifications)
    always goes out; optional mail (the reminder, the automatic reply to a lead: "marketing" in
    SPEC §5.7) carries List-Unsubscribe and honours it. Features declare their kinds in their
    ``notifications`` module; ``tenantapp.outbox.registry`` lists them for delivery.
    """

    template: str
    optional: bool = False


def tenant_site_url(tenant: TenantRef) -> str:
    """The tenant's public base URL (``.../t/<slug>``)."""
    return f"{current_runtime().settings.public_base_url.rstrip('/')}/t/{tenant.slug}"


def unsubscribe_url(tenant: TenantRef, email: str, now: datetime | None = None) -> str:
    """The signed one-click unsubscribe link for ``email``."""
    token = make_token(current_runtime().settings.secret_key, str(tenant.id), email, now)
    return f"{tenant_site_url(tenant)}/v1/unsubscribe?token={token}"


def base_context(sess: Session, tenant: TenantRef) -> dict:
    """What every tenant template gets: the tenant's name, zone, contact and links."""
    row = sess.get(TenantSettings, 1)
    site = tenant_site_url(tenant)
    return {
        "company_name": row.company_name if row else tenant.company_name,
        "time_zone": (row.time_zone if row else None) or tenant.time_zone,
        "contact_email": row.contact_email if row else None,
        "links": {"site": site, "api": f"{site}/v1"},
        "unsubscribe_url": None,
    }


def render_email(sess: Session, kind: EmailKind, to: str, context: dict, now=None):
    """Render ``kind`` for ``to`` → ``(rendered, full context)``."""
    tenant = current_tenant()
    full = {**base_context(sess, tenant), **context, "recipient": to}
    if kind.optional:
        full["unsubscribe_url"] = unsubscribe_url(tenant, to, now)
    return render(TEMPLATE_DIR, kind.template, full), full


def enqueue_email(
    sess: Session,
    kind: EmailKind,
    to: str,
    context: dict,
    dedupe_key: str,
    secrets: dict | None = None,
) -> int | None:
    """Queue the ``kind`` e-mail to ``to`` in ``sess``'s open transaction; None if already queued.

    The template is rendered once here so a missing context value fails the caller's transaction
    instead of a customer's e-mail. ``secrets`` (links carrying a token) are stored encrypted
    and opened only when the message is sent (SPEC §8).
    """
    if not (TEMPLATE_DIR / f"{kind.template}.txt").is_file():
        raise ValueError(f"unknown e-mail template {kind.template!r}")
    address = parseaddr(to)[1]
    if "@" not in address:
        raise ValueError(f"not an e-mail address: {to!r}")
    render_email(sess, kind, address, {**context, **(secrets or {})})
    payload = {**context, SEALED_KEY: seal(secrets)} if secrets else context
    return enqueue(
        sess,
        OutboxMessage,
        kind="email",
        topic=kind.template,
        dedupe_key=dedupe_key,
        recipient=address,
        payload=payload,
    )


def is_suppressed(sess: Session, email: str) -> bool:
    """Has ``email`` unsubscribed from this tenant's optional mail?"""
    return sess.get(EmailSuppression, email.strip().lower()) is not None


class EmailSender:
    """The outbox handler for ``email`` rows of the current tenant."""

    def __init__(self, sess: Session, kinds: Mapping[str, EmailKind]):
        self.sess = sess
        self.kinds = kinds
        self.settings = current_runtime().settings
        self.transport = transport_from_settings(self.settings)
        self.tenant = current_tenant()

    def send(self, message: Message, now: datetime) -> str:
        kind = self.kinds.get(message.topic)
        if kind is None:
            raise Permanent("unknown_template", message.topic)
        if kind.optional and is_suppressed(self.sess, message.recipient):
            self.sess.rollback()
            raise Skip("unsubscribed: the recipient opted out of this kind of e-mail")
        try:
            context = unsealed(message.payload)
        except DecryptionFailed as exc:  # its key was dropped before the mail went out
            raise Permanent("undecryptable", str(exc)) from exc
        rendered, full = render_email(self.sess, kind, message.recipient, context)
        self.sess.rollback()  # end the read transaction before network I/O
        name, sender = parseaddr(self.settings.mail_from)
        headers = {"X-Cleanplane-Outbox": f"{self.tenant.id}/{message.id}"}
        if full["unsubscribe_url"]:
            headers["List-Unsubscribe"] = f"<{full['unsubscribe_url']}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail = OutgoingMail(
            to=message.recipient,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            from_addr=formataddr((f"{full['company_name']} via Cleanplane", sender)),
            reply_to=full["contact_email"],
            message_id=message_id(self.tenant.id.hex, message.id, sender.partition("@")[2]),
            headers=headers,
        )
        return self.transport.send(mail)


def unsubscribe(sess: Session, token: str, now: datetime | None = None) -> str:
    """Record the opt-out named by ``token`` (idempotent); returns the address."""
    tenant = current_tenant()
    try:
        email = read_token(current_runtime().settings.secret_key, str(tenant.id), token, now)
    except InvalidUnsubscribeToken as exc:
        detail = (
            "This unsubscribe link has expired; use the link in a newer e-mail."
            if exc.reason == "expired"
            else "This unsubscribe link is not valid."
        )
        raise BadRequest(detail, code="bad_request") from exc
    sess.execute(
        insert(EmailSuppression)
        .values(email=email)
        .on_conflict_do_nothing(index_elements=["email"])
    )
    return email


def mask_email(email: str) -> str:
    """``j***@example.com``: confirms which address without echoing it to whoever has the link."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
