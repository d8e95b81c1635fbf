"""The outbox handler of ``sms`` rows: last checks, metering, then Twilio (SPEC §5.12).

Just before a text goes: a number that said STOP since it was queued is dropped (``opted_out``);
an automated text in quiet hours waits until they end (``Defer``, no attempt spent); an automated
text counts its segments against the plan (``sms_segments``, once per row) and over the limit is
skipped (``limit_reached``) while staff are told once per period. Staff replies were metered
when staff sent them. Twilio's refusals are permanent (21610 also records the STOP Twilio
knows about); outages are retried with backoff and trip the ``twilio`` circuit breaker. An
interrupted send is not retried blindly (no receiver-side dedupe): it goes to the dead letters.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared.crypto import DecryptionFailed, unsealed
from shared.entitlements import consume, limit_for
from shared.errors import LimitReached
from shared.models.sms import SmsSharedContact
from shared.outbox.delivery import Defer, Message, Permanent, Retryable, Skip, through_breaker
from shared.runtime import current_runtime
from shared.sms import UNSUBSCRIBED, SmsRefused, SmsUnavailable, TwilioTransport
from shared.tenancy import current_tenant
from tenantapp.customers.models import Customer
from tenantapp.settings.models import TenantSettings
from tenantapp.settings.service import tenant_zone
from tenantapp.sms import consent, notifications, quiet
from tenantapp.sms.models import SmsMessage
from tenantapp.sms.service import METRIC, opt_out, shared_sender

BREAKER = "twilio"


def status_callback_url(tenant_id) -> str:
    base = current_runtime().settings.public_base_url.rstrip("/")
    return f"{base}/v1/webhooks/twilio/status?tenant={tenant_id}"


class SmsSender:
    """Delivers the current tenant's ``sms`` outbox rows."""

    def __init__(self, sess):
        self.sess = sess
        self.settings = current_runtime().settings
        self.transport = TwilioTransport(self.settings)
        self.tenant = current_tenant()

    def _finish_row(self, row: SmsMessage, status: str, reason: str | None) -> None:
        row.status = status
        row.reason = reason
        self.sess.commit()

    def send(self, message: Message, now: datetime) -> str:
        sess = self.sess
        row = sess.scalar(
            select(SmsMessage).where(SmsMessage.outbox_id == message.id).with_for_update()
        )
        if row is None:
            sess.rollback()
            raise Skip("erased: the text was deleted before it went")
        settings = sess.get(TenantSettings, 1)
        shared = shared_sender(settings)
        customer = sess.get(Customer, row.customer_id)
        allowed, why = consent.may_text(sess, customer, shared)
        if not allowed:
            self._finish_row(row, "dropped", why)
            raise Skip(why)
        automated = bool(message.payload.get("automated"))
        if automated:
            until = quiet.quiet_until(
                now, tenant_zone(), settings.sms_quiet_start, settings.sms_quiet_end
            )
            if until is not None:
                sess.rollback()
                raise Defer(until, "quiet_hours: waits until the quiet hours end")
        if not message.payload.get("metered"):
            try:
                consume(
                    sess,
                    self.tenant,
                    METRIC,
                    row.segments,
                    idempotency_key=f"sms:{self.tenant.id}:{message.id}",
                )
            except LimitReached:
                sess.rollback()
                row = sess.get(SmsMessage, row.id)
                row.status, row.reason = "skipped", "limit_reached"
                notifications.notify_limit_reached(
                    sess, limit_for(sess, self.tenant.id, METRIC) or 0, now
                )
                sess.commit()
                raise Skip("limit_reached") from None
        if not self.transport.configured:
            sess.commit()
            raise Permanent("sms_not_configured", "TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN unset")
        if not settings.sms_from and not self.settings.twilio_messaging_service_sid:
            sess.commit()
            raise Permanent("no_sender", "no sms_from number and no platform Messaging Service")
        try:
            body = unsealed(message.payload).get("body") or row.body
        except DecryptionFailed as exc:  # its key was dropped before the text went
            sess.commit()
            raise Permanent("undecryptable", str(exc)) from exc
        to, row_id = row.phone, row.id
        sess.commit()  # the metering is kept even if the send fails: it is keyed per row
        try:
            sent = through_breaker(BREAKER, self._deliver, to, body, settings.sms_from)
        except Permanent as exc:
            row = sess.get(SmsMessage, row_id)
            if row is not None:
                self._finish_row(row, "failed", exc.reason)
            raise
        row = sess.get(SmsMessage, row_id)
        if row is not None:
            row.status, row.provider_sid, row.reason = "sent", sent, None
        if shared:
            stmt = insert(SmsSharedContact).values(
                phone_number=to, tenant_id=self.tenant.id, last_sent_at=now
            )
            sess.execute(
                stmt.on_conflict_do_update(
                    index_elements=[SmsSharedContact.phone_number],
                    set_={"tenant_id": stmt.excluded.tenant_id, "last_sent_at": now},
                )
            )
        sess.commit()
        return sent

    def _deliver(self, to: str, body: str, from_number: str | None):
        try:
            sent = self.transport.send(
                to,
                body,
                from_number=from_number,
                messaging_service_sid=self.settings.twilio_messaging_service_sid,
                status_callback=status_callback_url(self.tenant.id),
            )
        except SmsUnavailable as exc:
            raise Retryable("twilio_unavailable", str(exc)) from exc
        except SmsRefused as exc:
            self._refused(to, exc)
            # Returned, not raised: a refusal is no outage and must not trip the breaker.
            return Permanent(f"twilio_{exc.code or exc.status}", exc.detail)
        return sent.sid

    def _refused(self, to: str, exc: SmsRefused) -> None:
        """21610: the number said STOP to Twilio itself; record it as this tenant's STOP."""
        if exc.code == UNSUBSCRIBED:
            opt_out(self.sess, to, source="twilio_21610")
            self.sess.commit()
