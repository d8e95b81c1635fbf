"""``GET /admin/invoices/{id}/messages/preview?template=``: an invoice's customer e-mails as they
would go now (subject, text, HTML), rendered and never sent — the invoice counterpart of the
booking message preview (``bookings.previews``)."""

from __future__ import annotations

from shared import db
from shared.errors import Conflict
from tenantapp.invoices import notifications, state
from tenantapp.messaging.service import render_email

TEMPLATES = ("invoice_issued", "payment_receipt", "payment_failed", "invoice_overdue")


def preview(invoice_id: int, template: str, reason: str = "card_declined") -> dict:
    sess = db.session()
    inv = state.get_invoice(invoice_id)
    if inv.status == "DRAFT":
        raise Conflict("A draft invoice sends no e-mail yet; issue it first.")
    due = state.amount_due(inv)
    if template == "invoice_issued":
        message = notifications.issued_message(sess, inv, due)
    elif template == "payment_receipt":
        message = notifications.receipt_message(sess, inv, max(due, inv.total_cents // 2, 1))
    elif template == "payment_failed":
        message = notifications.failed_message(sess, inv, due, reason)
    else:
        late = max(state.days_overdue(inv, state.today()), 3)
        message = notifications.overdue_message(sess, inv, due, late)
    if message is None:
        raise Conflict("This customer has no e-mail address.")
    rendered, _ = render_email(
        sess, message.kind, message.to, {**message.context, **message.secrets}
    )
    sess.rollback()
    return {
        "template": template,
        "channel": "email",
        "to": message.to,
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
    }
