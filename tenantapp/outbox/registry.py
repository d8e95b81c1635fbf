"""What the tenant outbox delivers: its channels and every feature's message kinds, listed here.

An explicit list, not filled by import side effects: a feature that sends e-mail declares its
``EmailKind`` values in its ``notifications`` (or ``reminders``) module and is added to
``EMAIL_KINDS`` below; each channel (e-mail, webhook, SMS) is one ``Channel`` in ``CHANNELS``. Delivery
reads this registry and knows no feature.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from shared.outbox.delivery import Handler
from tenantapp.bookings import notifications as booking_notifications
from tenantapp.bookings import reminders as booking_reminders
from tenantapp.exports.service import WebhookSender
from tenantapp.invoices import notifications as invoice_notifications
from tenantapp.leads import notifications as lead_notifications
from tenantapp.messaging.service import EmailKind, EmailSender
from tenantapp.payments import cards as payment_cards
from tenantapp.plans import notifications as plan_notifications
from tenantapp.reviews import service as reviews
from tenantapp.sms import notifications as sms_notifications
from tenantapp.sms.sender import SmsSender
from tenantapp.workers import notifications as worker_notifications

EMAIL_KINDS: dict[str, EmailKind] = {
    kind.template: kind
    for kind in (
        *lead_notifications.EMAILS,
        *booking_notifications.EMAILS,
        *booking_reminders.EMAILS,
        *worker_notifications.EMAILS,
        *plan_notifications.EMAILS,
        *sms_notifications.EMAILS,
        *reviews.EMAILS,
        *invoice_notifications.EMAILS,
        *payment_cards.EMAILS,
    )
}


@dataclass(frozen=True)
class Channel:
    """An outbox ``kind`` and how to build its handler for one delivery run."""

    kind: str
    build: Callable[[Session, Callable[[float], None]], Handler]


CHANNELS: tuple[Channel, ...] = (
    # No receiver-side dedupe for e-mail: an interrupted send goes to the dead letters.
    Channel("email", lambda sess, sleep: Handler(EmailSender(sess, EMAIL_KINDS).send)),
    # Receivers dedupe on X-Cleanplane-Delivery (the lead export): an interrupted one is retried.
    Channel(
        "webhook",
        lambda sess, sleep: Handler(WebhookSender(sess, sleep=sleep).send, retry_in_doubt=True),
    ),
    # No receiver-side dedupe at Twilio either: an interrupted text goes to the dead letters.
    Channel("sms", lambda sess, sleep: Handler(SmsSender(sess).send)),
)


def handlers(sess: Session, sleep: Callable[[float], None] = time.sleep) -> dict[str, Handler]:
    """One handler per channel for a delivery run in ``sess``."""
    return {channel.kind: channel.build(sess, sleep) for channel in CHANNELS}
