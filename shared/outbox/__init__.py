"""The transactional outbox both apps use (tenant schemas and the control plane).

Every e-mail and webhook is a row written in the transaction that caused it, under a unique dedupe
key; delivery functions pick due rows, try them and keep the attempt count only in the row.
"""

from shared.outbox.model import KINDS, MAX_ATTEMPTS, STATUSES, OutboxColumns, backoff_seconds
from shared.outbox.service import enqueue, replay

__all__ = [
    "KINDS",
    "MAX_ATTEMPTS",
    "STATUSES",
    "OutboxColumns",
    "backoff_seconds",
    "enqueue",
    "replay",
]
