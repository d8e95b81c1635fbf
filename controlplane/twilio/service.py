"""Twilio webhooks: verified here, applied inside the tenant that owns the number (SPEC §5.12).

Routing: an inbound text goes to the tenant whose ``sms_from`` is its ``To`` (``sms_numbers``,
one tenant per number). A text to the platform's shared Messaging Service (no tenant owns the
number) is handled platform-wide: STOP/START there change the platform opt-out (the sender is
shared by every workspace on it), HELP gets the platform's answer, anything else is answered
with the phone of the workspace that last texted that number — two-way texting needs the
workspace's own number. Status callbacks carry the tenant in their URL (signed with the rest).
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from shared import db
from shared.models.sms import SmsNumber, SmsPlatformOptOut, SmsSharedContact
from shared.runtime import current_runtime
from shared.tenancy import SERVED_STATUSES, tenant_context
from tenantapp.sms import inbound

PLATFORM_HELP = (
    "Cleanplane texts on behalf of cleaning companies. Reply STOP to opt out, START to opt back "
    "in. Msg & data rates may apply."
)


def _tenant(tenant_id):
    if tenant_id is None:
        return None
    ref = current_runtime().tenants.by_id(tenant_id)
    if ref is None or ref.status not in SERVED_STATUSES:
        return None
    return ref


def owner_of(number: str | None):
    """The tenant that owns ``number`` (E.164), or None."""
    if not number:
        return None
    tenant_id = db.session().scalar(
        select(SmsNumber.tenant_id).where(SmsNumber.phone_number == number)
    )
    db.close_session()
    return _tenant(tenant_id)


def route_inbound(form) -> tuple[str, str | None]:
    """Apply an inbound text → ``(outcome, reply text or None)``."""
    ref = owner_of(inbound.consent.e164(form.get("To")))
    if ref is not None:
        with tenant_context(ref):
            result = inbound.handle_inbound(form)
        return result["outcome"], result["reply"]
    return _shared_inbound(form)


def _shared_inbound(form) -> tuple[str, str | None]:
    phone = inbound.consent.e164(form.get("From"))
    if phone is None:
        return "ignored", None
    word = inbound.keyword(form.get("Body") or "")
    if word == "stop":
        with db.transaction() as tx:
            tx.execute(
                insert(SmsPlatformOptOut).values(phone_number=phone).on_conflict_do_nothing()
            )
        return "platform_opted_out", None
    if word == "start":
        with db.transaction() as tx:
            tx.execute(delete(SmsPlatformOptOut).where(SmsPlatformOptOut.phone_number == phone))
        return "platform_opted_in", None
    if word == "help":
        return "platform_help", PLATFORM_HELP
    tenant_id = db.session().scalar(
        select(SmsSharedContact.tenant_id).where(SmsSharedContact.phone_number == phone)
    )
    db.close_session()
    ref = _tenant(tenant_id)
    if ref is None:
        return "unrouted", None
    with tenant_context(ref):
        return "auto_replied", inbound.shared_reply(db.session())


def route_status(form, tenant_param: str | None) -> str:
    """Apply a delivery report in the tenant named by the callback URL (else by ``From``)."""
    ref = None
    if tenant_param:
        try:
            ref = _tenant(uuid.UUID(tenant_param))
        except ValueError:
            ref = None
    if ref is None:
        ref = owner_of(inbound.consent.e164(form.get("From")))
    if ref is None:
        return "unknown_tenant"
    with tenant_context(ref):
        return inbound.handle_status(form)["outcome"]
