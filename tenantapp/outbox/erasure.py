"""Erasure of one person's outbox rows, for a data-deletion request (SPEC §5.8, §8).

Called by ``tenantapp.retention.service.anonymise`` in its own transaction, so the person's
rows go together with their data: nothing addressed to them, or carrying their details, is
sent afterwards. Their rows are found by what was queued for them — e-mail to one of their
addresses (any template, resends included) — and by what was queued about them, through the
dedupe keys that name their leads and bookings: the staff ``lead_notification``, the lead
export webhook (``export:lead:<id>``), booking mail and reminders. Every status goes: queued and
dead rows would be sent (or replayed) later; sent and skipped rows still hold the details in
their payload. The dead-letter index is recounted. Texts go the same way: every ``sms`` row to
one of their numbers, the texts about their bookings (``sms:<template>:<booking id>``), the review
request and staff's review alert, and staff's e-mails quoting their inbound texts
(``sms_received:<MessageSid>``). Their thread itself is ``tenantapp.sms.erasure``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, or_

from shared.outbox import dlq
from shared.tenancy import current_tenant
from tenantapp.outbox.models import OutboxMessage


def erase_person(
    tx,
    emails: Iterable[str],
    lead_ids: Iterable[int],
    booking_ids: Iterable[int],
    phones: Iterable[str] = (),
    inbound_sids: Iterable[str] = (),
) -> int:
    """Delete the outbox rows addressed to or about one person; returns how many (no commit)."""
    addresses = sorted({e.strip().lower() for e in emails if e and e.strip()})
    keys: list[str] = []
    numbers = sorted({p for p in phones if p})
    keys += [f"sms_received:{sid}" for sid in set(inbound_sids) if sid]
    for lead_id in set(lead_ids):
        keys += [f"lead_received:{lead_id}", f"lead_notification:{lead_id}"]
        keys.append(f"export:lead:{lead_id}")
    patterns = []
    for booking_id in set(booking_ids):
        kinds = "booking_[a-z]+|reminder_24h|on_my_way|review_request|review_alert"
        patterns.append(f"^(sms:)?({kinds}):{int(booking_id)}(:|$)")
    clauses = []
    if addresses:
        clauses.append(func.lower(OutboxMessage.recipient).in_(addresses))
    if numbers:
        clauses.append((OutboxMessage.kind == "sms") & OutboxMessage.recipient.in_(numbers))
    if keys:
        clauses.append(OutboxMessage.dedupe_key.in_(keys))
    clauses.extend(OutboxMessage.dedupe_key.op("~")(pattern) for pattern in patterns)
    if not clauses:
        return 0
    erased = tx.execute(delete(OutboxMessage).where(or_(*clauses))).rowcount or 0
    if erased:
        dlq.refresh(tx, OutboxMessage, current_tenant().id)
    return erased
