"""Control-plane SMS tables both apps use (SPEC §5.12).

- ``sms_numbers``: which tenant owns a sending number (``sms_from``, one tenant per number);
  inbound texts and status callbacks are routed by it. Written by the tenant's settings change,
  read by the control plane's Twilio webhooks.
- ``sms_shared_contacts``: on the platform's shared Messaging Service, the workspace that last
  texted a number, so a reply there can be answered with that company's phone.
- ``sms_platform_opt_outs``: STOP sent to the shared Messaging Service opts the number out of
  every workspace that sends through it (the sender is shared, so the consent is too).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import CPBase


class SmsNumber(CPBase):
    __tablename__ = "sms_numbers"

    phone_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SmsSharedContact(CPBase):
    __tablename__ = "sms_shared_contacts"

    phone_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="CASCADE"), index=True
    )
    last_sent_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class SmsPlatformOptOut(CPBase):
    __tablename__ = "sms_platform_opt_outs"

    phone_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


def claim_number(sess, tenant_id, number: str | None) -> bool:
    """Make ``number`` the tenant's only sending number (None: release it), in ``sess``'s
    transaction. False when another tenant owns it (one tenant per number)."""
    sess.execute(
        delete(SmsNumber).where(SmsNumber.tenant_id == tenant_id, SmsNumber.phone_number != number)
    )
    if number is None:
        return True
    owner = sess.scalar(
        select(SmsNumber.tenant_id).where(SmsNumber.phone_number == number).with_for_update()
    )
    if owner is None:
        sess.add(SmsNumber(phone_number=number, tenant_id=tenant_id))
        sess.flush()
        return True
    return str(owner) == str(tenant_id)
