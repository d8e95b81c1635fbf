"""What SMS tells staff by e-mail: a customer texted in; the plan's SMS allowance ran out."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.entitlements import period_start
from tenantapp.messaging.service import EmailKind, enqueue_email
from tenantapp.sms.service import site_url, staff_alert_address

SMS_RECEIVED = EmailKind("sms_received")
SMS_LIMIT_REACHED = EmailKind("sms_limit_reached")
EMAILS = (SMS_RECEIVED, SMS_LIMIT_REACHED)


def notify_inbound(sess, customer, message) -> None:
    """E-mail staff about an inbound text (once per message: its SID names the cause)."""
    to = staff_alert_address(sess)
    if not to:
        return
    context = {
        "sender_name": customer.name,
        "phone": message.phone,
        "body": message.body,
        "thread_url": f"{site_url()}/v1/admin/customers/{customer.id}/messages",
    }
    enqueue_email(sess, SMS_RECEIVED, to, context, f"sms_received:{message.provider_sid}")


def notify_limit_reached(sess, limit: int, now: datetime | None = None) -> None:
    """Tell staff once per usage period that automated texts are being skipped."""
    to = staff_alert_address(sess)
    if not to:
        return
    period = period_start(now or datetime.now(UTC))
    enqueue_email(
        sess, SMS_LIMIT_REACHED, to, {"limit": limit}, f"sms_limit_reached:{period.isoformat()}"
    )
