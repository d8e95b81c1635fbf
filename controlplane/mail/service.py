"""Platform mail: staff invites, password resets, e-mail verification and billing notices,
through the control-plane outbox (the same mechanism as the tenant outbox)."""

from __future__ import annotations

import uuid
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy.orm import Session

from controlplane.mail.models import PlatformOutboxMessage
from shared.crypto import SEALED_KEY, DecryptionFailed, seal, unsealed
from shared.mail import OutgoingMail, transport_from_settings
from shared.mail.message import message_id
from shared.mail.render import render
from shared.outbox import enqueue
from shared.outbox.delivery import Message, Permanent
from shared.runtime import current_runtime

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATES = frozenset({"staff_invite", "password_reset", "verify_email", "billing_notice"})


def base_context() -> dict:
    """What every platform e-mail template may use: site links and the zone (UTC)."""
    site = current_runtime().settings.public_base_url.rstrip("/")
    return {"links": {"site": site, "api": f"{site}/v1"}, "time_zone": "UTC"}


def render_platform(template: str, context: dict):
    """Render platform e-mail ``template`` with ``context`` over the base context."""
    return render(TEMPLATE_DIR, template, {**base_context(), **context})


def enqueue_platform_mail(
    sess: Session,
    template: str,
    to: str,
    context: dict,
    dedupe_key: str,
    tenant_id: uuid.UUID | None = None,
    secrets: dict | None = None,
) -> int | None:
    """Queue platform mail in ``sess``'s open transaction; None when ``dedupe_key`` was used.

    Pick dedupe keys that name the cause, e.g. ``password_reset:<token id>``,
    ``verify_email:<user id>:<token id>``, ``billing_notice:<stripe event id>``,
    ``staff_invite:<invitation id>``. The template renders once here so a missing value fails
    the caller's transaction. ``secrets`` (token links) join the context only when the message
    is rendered; the outbox row keeps them encrypted (SPEC §8: no raw tokens at rest).
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown platform template {template!r}")
    address = parseaddr(to)[1]
    if "@" not in address:
        raise ValueError(f"not an e-mail address: {to!r}")
    render_platform(template, {**context, **(secrets or {}), "recipient": address})
    payload = dict(context)
    if secrets:
        payload[SEALED_KEY] = seal(secrets)
    return enqueue(
        sess,
        PlatformOutboxMessage,
        kind="email",
        topic=template,
        dedupe_key=dedupe_key,
        recipient=address,
        payload=payload,
        tenant_id=tenant_id,
    )


class PlatformEmailSender:
    def __init__(self):
        self.settings = current_runtime().settings
        self.transport = transport_from_settings(self.settings)

    def send(self, message: Message, now: datetime) -> str:
        if message.topic not in TEMPLATES:
            raise Permanent("unknown_template", message.topic)
        try:
            context = unsealed(message.payload)
        except DecryptionFailed as exc:  # a key was dropped before the mail went out
            raise Permanent("undecryptable", str(exc)) from exc
        rendered = render_platform(message.topic, {**context, "recipient": message.recipient})
        sender = parseaddr(self.settings.mail_from)[1]
        mail = OutgoingMail(
            to=message.recipient,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            from_addr=self.settings.mail_from,
            message_id=message_id("platform", message.id, sender.partition("@")[2]),
            headers={"X-Cleanplane-Outbox": f"platform/{message.id}"},
        )
        return self.transport.send(mail)
