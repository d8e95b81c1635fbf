"""Erasure of one person's texts (SPEC §5.8): their message thread goes, and the review
comments they wrote; scores stay as anonymous figures. A number's STOP is kept (``sms_consents``
holds only the number and when): forgetting it would let texts start again."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update

from tenantapp.reviews.models import Review
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
    """Delete the customers' messages and blank their review comments; returns messages deleted."""
    ids = list(customer_ids)
    deleted = tx.execute(delete(SmsMessage).where(SmsMessage.customer_id.in_(ids))).rowcount or 0
    tx.execute(update(Review).where(Review.customer_id.in_(ids)).values(comment=None))
    return deleted


def export_threads(tx, customer_ids: Iterable[int]) -> tuple[list, list]:
    """The person's messages and reviews, oldest first (for the data export)."""
    ids = list(customer_ids)
    messages = list(
        tx.scalars(
            select(SmsMessage).where(SmsMessage.customer_id.in_(ids)).order_by(SmsMessage.id)
        )
    )
    reviews = list(
        tx.scalars(select(Review).where(Review.customer_id.in_(ids)).order_by(Review.id))
    )
    return messages, reviews
