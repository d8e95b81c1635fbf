"""``GET /admin/messages/preview``: any customer template rendered for one booking, unsent."""

from __future__ import annotations

from shared import db
from shared.errors import NotFound, field_error
from tenantapp.bookings.models import Booking
from tenantapp.bookings.notifications import booking_context
from tenantapp.bookings.texts import sms_context
from tenantapp.customers.models import Customer
from tenantapp.messaging.service import TEMPLATE_DIR, EmailKind, render_email
from tenantapp.settings.models import TenantSettings
from tenantapp.sms import consent, segments, templates
from tenantapp.sms.service import base_context, compose


def preview(template: str, booking_id: int, channel: str) -> dict:
    sess = db.session()
    booking = sess.get(Booking, booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    if channel == "sms":
        return _sms(sess, template, booking)
    return _email(sess, template, booking)


def _sms(sess, template: str, booking: Booking) -> dict:
    settings = sess.get(TenantSettings, 1)
    context = {**base_context(settings), **sms_context(sess, booking)}
    context["feedback_url"] = f"{context['manage_url'].split('/v1/')[0]}/feedback/…"
    body = templates.render(template, context)
    customer = sess.get(Customer, booking.customer_id)
    phone = consent.e164(customer.phone) if customer else None
    # As it would go now: with the opt-out footer when it would be the first text to the number.
    body = compose(sess, phone, body)[0] if phone else templates.with_footer(body, True)
    count = segments.count(body)
    return {
        "template": template,
        "channel": "sms",
        "subject": None,
        "text": body,
        "html": None,
        "segments": count.segments,
        "encoding": count.encoding,
        "characters": len(body),
    }


def _email(sess, template: str, booking: Booking) -> dict:
    if not (TEMPLATE_DIR / f"{template}.txt").is_file():
        raise field_error("template", f"{template} has no e-mail version yet")
    to, context = booking_context(sess, booking)
    context = {
        **context,
        "feedback_url": context["booking"]["manage_url"],
        "worker_first_name": "",
    }
    rendered, _ = render_email(sess, EmailKind(template), to or "customer@example.com", context)
    sess.rollback()
    return {
        "template": template,
        "channel": "email",
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "segments": None,
        "encoding": None,
        "characters": None,
    }
