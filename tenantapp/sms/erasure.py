"""Erasure of one person's texts (SPEC §5.8): their message thread goes. A number's STOP is
kept (``sms_consents`` holds only the number and when): forgetting it would let texts start
again. (Their review comments: ``tenantapp.reviews.service.erase_comments``.)"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from tenantapp.sms.models import SmsMessage


def thread_facts(tx, customer_ids: Iterable[int]) -> tuple[list[str], list[str]]:
    """The numbers the person's thread used and the SIDs of their inbound texts."""
    ids = list(customer_ids)
    rows = tx.execute(
        select(SmsMessage.phone, SmsMessage.direction, SmsMessage.provider_sid).where(
            SmsMessage.customer_id.in_(ids)
        )
    ).all()
    phones = sorted({r.phone for r in rows})
    sids = [r.provider_sid for r in rows if r.direction == "in" and r.provider_sid]
    return phones, sids


def erase_threads(tx, customer_ids: Iterable[int]) -> int:
    """Delete the customers' messages; returns how many."""
    ids = list(customer_ids)
    return tx.execute(delete(SmsMessage).where(SmsMessage.customer_id.in_(ids))).rowcount or 0


def export_threads(tx, customer_ids: Iterable[int]) -> list[SmsMessage]:
    """The person's messages, oldest first (for the data export)."""
    ids = list(customer_ids)
    stmt = select(SmsMessage).where(SmsMessage.customer_id.in_(ids)).order_by(SmsMessage.id)
    return list(tx.scalars(stmt))
