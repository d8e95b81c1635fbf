"""The due-work index: ``(tenant, kind) -> next due time``, one Redis sorted set (SPEC §6).

Per-tenant periodic work that is usually empty (outbox delivery, reminders, deposit expiry, the
storage janitor) is not polled per tenant: the transaction that creates work records when it falls
due (after commit, through ``signal``), the scheduler pops the due entries every poll
(``jobs.dispatch``) and enqueues one ``run_due_work(tenant, kind)`` job for each, and that job,
after doing the work, records the kind's next due time from the tenant's own rows. A slow
reconcile job (``jobs.reconcile``) rebuilds entries from the tenant schemas, so a lost signal only
delays work. Why Redis and not a control-plane table: ``docs/jobs.md``.

Keys (all under ``cp:duework``):

- ``cp:duework`` — the index: member ``<kind>:<tenant id>``, score = due unix time. Writes keep
  the earliest time (``ZADD LT``), so a signal never postpones work already due.
- ``cp:duework:parked`` — entries of tenants found suspended when their job ran; ``unpark`` moves
  them back on resume, so their work waits and then runs.
- ``cp:duework:queued:<kind>:<tenant id>`` — "a job for this (tenant, kind) is waiting in a queue":
  set when one is enqueued, deleted when it starts. While it exists a new signal needs no job.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from jobs import queues

INDEX_KEY = "cp:duework"
PARKED_KEY = "cp:duework:parked"
QUEUED_TTL = 300  # seconds: a queued marker whose job died is forgotten after this


@dataclass(frozen=True)
class DueKind:
    """One kind of tenant work: what runs it and how to read its next due time.

    ``run`` is the dotted path of ``fn() -> dict`` called inside the tenant's context;
    ``next_due`` the dotted path of ``fn(now, rebuild=False)`` returning a SQLAlchemy scalar
    select of the kind's next due ``timestamptz`` (NULL when there is nothing), one indexed query.
    ``rebuild=True`` is the reconcile's variant, which may be more generous (see reminders).
    """

    name: str
    run: str
    next_due: str
    queue: str


# An explicit registry (no import side effects). Later kinds (dunning, SMS quiet-hour releases,
# plan horizons) append here with their feature's run and next-due functions.
KINDS: tuple[DueKind, ...] = (
    DueKind(
        "outbox", "tenantapp.duework.run_outbox", "tenantapp.duework.outbox_next_due", queues.EMAIL
    ),
    # a scan, not a delivery: the e-mail queue stays free for the outbox's fast path
    DueKind(
        "reminders",
        "tenantapp.duework.run_reminders",
        "tenantapp.duework.reminders_next_due",
        queues.DEFAULT,
    ),
    DueKind(
        "deposits",
        "tenantapp.duework.run_deposits",
        "tenantapp.duework.deposits_next_due",
        queues.MAINTENANCE,
    ),
    DueKind(
        "janitor",
        "tenantapp.duework.run_janitor",
        "tenantapp.duework.janitor_next_due",
        queues.MAINTENANCE,
    ),
    # Auto-charges of invoices to the card on file, and their retries (SPEC §5.11).
    DueKind(
        "charges",
        "tenantapp.duework.run_charges",
        "tenantapp.duework.charges_next_due",
        queues.DEFAULT,
    ),
    # invoice_overdue e-mails 3 and 7 days after the due date (SPEC §5.11).
    DueKind(
        "dunning",
        "tenantapp.duework.run_dunning",
        "tenantapp.duework.dunning_next_due",
        queues.EMAIL,
    ),
    DueKind(
        "idempotency",
        "tenantapp.duework.run_idempotency_purge",
        "tenantapp.duework.idempotency_next_due",
        queues.MAINTENANCE,
    ),
)
BY_NAME = {k.name: k for k in KINDS}

# Pops every due entry and removes it in one step, so two schedulers never pop the same entry.
_POP_DUE = """
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
for i = 1, #rows, 2 do redis.call('ZREM', KEYS[1], rows[i]) end
return rows
"""
# Moves one tenant's parked entries back into the index (earliest time wins).
_UNPARK = """
local moved = 0
for i = 1, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score then
    redis.call('ZADD', KEYS[2], 'LT', score, ARGV[i])
    redis.call('ZREM', KEYS[1], ARGV[i])
    moved = moved + 1
  end
end
return moved
"""


class UnknownKind(ValueError):
    """A due-work kind that is not in ``KINDS``."""


def kind_of(name: str) -> DueKind:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownKind(f"unknown due-work kind {name!r}") from None


def member(kind: str, tenant_id) -> str:
    return f"{kind}:{uuid.UUID(str(tenant_id))}"


def parse_member(raw) -> tuple[str, str]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    kind, _, tenant_id = text.partition(":")
    return kind, tenant_id


def queued_key(kind: str, tenant_id) -> str:
    return f"cp:duework:queued:{kind}:{uuid.UUID(str(tenant_id))}"


def _ts(when: datetime | float | None) -> float:
    if when is None:
        return time.time()
    if isinstance(when, datetime):
        return when.timestamp()
    return float(when)


def signal(redis, tenant_id, kind: str, due_at: datetime | float | None = None) -> None:
    """Record that ``tenant_id`` has ``kind`` work due at ``due_at`` (default now).

    Keeps the earliest time when an entry exists. ``redis`` may be a pipeline. Call it after the
    transaction that created the work committed (``jobs.signals`` does, through ``on_commit``).
    """
    kind_of(kind)
    redis.zadd(INDEX_KEY, {member(kind, tenant_id): _ts(due_at)}, lt=True)


def pop_due(redis, now: float | None = None, limit: int = 1000) -> list[tuple[str, str, float]]:
    """Remove and return up to ``limit`` entries due at ``now``: ``(kind, tenant id, due)``."""
    rows = redis.eval(_POP_DUE, 1, INDEX_KEY, _ts(now), limit)
    out = []
    for raw, score in zip(rows[::2], rows[1::2], strict=True):
        kind, tenant_id = parse_member(raw)
        out.append((kind, tenant_id, float(score)))
    return out


def park(redis, tenant_id, kind: str, due_at: datetime | float | None = None) -> None:
    """Keep a suspended tenant's entry aside until ``unpark`` (its work waits, nothing polls)."""
    redis.zadd(PARKED_KEY, {member(kind, tenant_id): _ts(due_at)}, lt=True)


def unpark(redis, tenant_id):
    """Put a resumed tenant's parked entries back in the index; returns how many moved.

    ``redis`` may be a pipeline (the count then comes with its results)."""
    members = [member(k.name, tenant_id) for k in KINDS]
    moved = redis.eval(_UNPARK, 2, PARKED_KEY, INDEX_KEY, *members)
    return moved if not isinstance(moved, int | bytes | str) else int(moved)


def forget_tenant(redis, tenant_id) -> None:
    """Drop every entry of a tenant (deleted: it has no work any more)."""
    members = [member(k.name, tenant_id) for k in KINDS]
    with redis.pipeline() as pipe:
        pipe.zrem(INDEX_KEY, *members)
        pipe.zrem(PARKED_KEY, *members)
        pipe.execute()


def entries(redis) -> dict[tuple[str, str], float]:
    """Every index entry (tests and the ops view of small indexes)."""
    out = {}
    for raw, score in redis.zrange(INDEX_KEY, 0, -1, withscores=True):
        out[parse_member(raw)] = float(score)
    return out


def stats(redis, now: float | None = None) -> dict:
    """Index size, entries due now, the oldest due entry's age and the parked count."""
    now = _ts(now)
    with redis.pipeline() as pipe:
        pipe.zcard(INDEX_KEY)
        pipe.zcount(INDEX_KEY, "-inf", now)
        pipe.zrange(INDEX_KEY, 0, 0, withscores=True)
        pipe.zcard(PARKED_KEY)
        size, due_now, first, parked = pipe.execute()
    oldest = float(first[0][1]) if first else None
    return {
        "size": int(size),
        "due_now": int(due_now),
        "oldest_due_at": oldest,
        "oldest_due_age_seconds": round(max(0.0, now - oldest), 3) if oldest is not None else 0.0,
        "parked": int(parked),
    }


def kind_counts(redis, now: float | None = None) -> list[dict]:
    """Entries and due-now entries per kind (scans the index: for operators, not hot paths)."""
    now = _ts(now)
    counts = {k.name: {"kind": k.name, "entries": 0, "due_now": 0} for k in KINDS}
    for raw, score in redis.zscan_iter(INDEX_KEY, count=1000):
        kind, _ = parse_member(raw)
        if kind in counts:
            counts[kind]["entries"] += 1
            counts[kind]["due_now"] += int(score <= now)
    return list(counts.values())
