"""Turning due-work entries into tenant jobs: the scheduler's dispatch, the fast path, the job.

- ``dispatch_due(redis)`` runs on every scheduler poll (``jobs.scheduler``): it pops the due
  entries of ``cp:duework`` and enqueues ``run_due_work(tenant, kind)`` for each, pipelined. Per
  entry it claims the fan-out's idempotency key ``cp:fanout:due-<kind>:<tenant>:<period>`` (period:
  the ``PERIOD_SECONDS`` bucket of the dispatch) and the kind's *queued* marker. When either is
  taken (a second scheduler got there this period, or a job for that tenant and kind is still
  waiting) the entry goes back a little later instead of becoming a second job.
- ``run_now(redis, tenant_id, kind)`` is the fast path used after commit: enqueue at once unless
  a job for that (tenant, kind) is already waiting (it will see the new rows: they committed
  before it starts). A new outbox row is thus sent seconds after its commit, not at a tick.
- ``run_due_work`` is the tenant job: it drops the queued marker, runs the kind, then records
  the kind's next due time read from the tenant's rows (one indexed query). A suspended tenant's
  entry is parked until resume; a failed run comes back after ``RETRY_SECONDS``.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from rq.utils import import_attribute

from jobs import duework, queues
from jobs.decorators import enqueue_tenant, skipped, tenant_job
from jobs.fanout import idempotency_key
from shared import db
from shared.runtime import current_runtime
from shared.tenancy import current_tenant

log = logging.getLogger("jobs.dispatch")

PERIOD_SECONDS = 1  # one job per (tenant, kind) per second at most, whatever the schedulers do
DEFER_SECONDS = 5  # an entry blocked by a waiting job is looked at again this much later
RETRY_SECONDS = 60  # a failed run's work is tried again this much later
# Work still due right after a run (a circuit is open, a time budget ran out) waits this long:
# a tenant with stuck work costs a job per REPEAT_SECONDS, not one per scheduler poll.
REPEAT_SECONDS = 10
BATCH = 1000  # entries popped per round trip
SAFETY_SECONDS = (
    60  # fast path absorbed by a waiting job: an entry this much later, in case it died
)
IN_RUN = "in-run"  # marker value of a running job that delivers its own mail before it ends


def _job_id(kind: str, tenant_id: str, period: str) -> str:
    return f"due-{kind}-{uuid.UUID(tenant_id).hex}-{period}"


def dispatch_due(redis, now: float | None = None, limit: int = BATCH) -> dict:
    """Enqueue one job per due (tenant, kind) entry; returns counts of what happened.

    ``enqueued``: new jobs; ``deferred``: entries put back because a job for them is waiting or
    this period already ran them; ``dropped``: entries of unknown kinds or malformed members.
    """
    now = time.time() if now is None else now
    totals = {"enqueued": 0, "deferred": 0, "dropped": 0}
    while True:
        popped = duework.pop_due(redis, now, limit)
        if not popped:
            return totals
        _dispatch(redis, popped, now, totals)
        if len(popped) < limit:
            return totals


def _dispatch(redis, popped, now: float, totals: dict) -> None:
    period = str(int(now) // PERIOD_SECONDS * PERIOD_SECONDS)
    valid = []
    for kind, tenant_id, due in popped:
        try:
            duework.kind_of(kind)
            uuid.UUID(tenant_id)
        except ValueError:
            totals["dropped"] += 1
            log.warning("due-work entry dropped", extra={"kind": kind, "tenant_id": tenant_id})
            continue
        valid.append((kind, tenant_id, due))
    with redis.pipeline(transaction=False) as pipe:
        for kind, tenant_id, _ in valid:
            pipe.set(idempotency_key(f"due-{kind}", tenant_id, period), "1", nx=True, ex=120)
            pipe.set(duework.queued_key(kind, tenant_id), period, nx=True, ex=duework.QUEUED_TTL)
        claims = pipe.execute()
    todo, back = [], []
    for i, (kind, tenant_id, due) in enumerate(valid):
        fresh_period, not_waiting = claims[2 * i], claims[2 * i + 1]
        if fresh_period and not_waiting:
            todo.append((kind, tenant_id))
            continue
        back.append((kind, tenant_id, max(due, now + DEFER_SECONDS)))
        # a claim we did take is given back: nothing was enqueued for it
        if fresh_period:
            redis.delete(idempotency_key(f"due-{kind}", tenant_id, period))
        if not_waiting:
            redis.delete(duework.queued_key(kind, tenant_id))
    failed = _enqueue(redis, todo, period)
    for kind, tenant_id in failed:
        back.append((kind, tenant_id, now + DEFER_SECONDS))
    if back:
        with redis.pipeline(transaction=False) as pipe:
            for kind, tenant_id, due in back:
                duework.signal(pipe, tenant_id, kind, due)
            pipe.execute()
    totals["enqueued"] += len(todo) - len(failed)
    totals["deferred"] += len(back)


def _enqueue(redis, todo: list[tuple[str, str]], period: str) -> list[tuple[str, str]]:
    """Enqueue one job per tenant for all its due kinds, in one pipeline; returns the entries
    that could not be enqueued. The job goes to the queue of its most urgent kind."""
    if not todo:
        return []
    order = {k.name: i for i, k in enumerate(duework.KINDS)}
    by_tenant: dict[str, list[str]] = {}
    for kind, tenant_id in todo:
        by_tenant.setdefault(tenant_id, []).append(kind)
    opened = {}
    try:
        with redis.pipeline() as pipe:
            for tenant_id, kinds in by_tenant.items():
                kinds.sort(key=order.__getitem__)
                name = duework.kind_of(kinds[0]).queue
                q = opened.setdefault(name, queues.queue(name, redis))
                enqueue_tenant(
                    run_due_work,
                    redis,
                    tenant_id,
                    (kinds[0], tuple(kinds[1:])),
                    pipeline=pipe,
                    job_id=_job_id("_".join(kinds), tenant_id, period),
                    queue=q,
                )
            pipe.execute()
    except Exception:
        log.exception("due-work dispatch could not enqueue", extra={"size": len(todo)})
        with redis.pipeline(transaction=False) as pipe:
            for kind, tenant_id in todo:
                pipe.delete(duework.queued_key(kind, tenant_id))
            pipe.execute()
        return list(todo)
    return []


def run_now(redis, tenant_id, kind: str) -> bool:
    """Fast path: enqueue ``kind`` for ``tenant_id`` now unless a job for it is already waiting.

    Returns True when a job was enqueued. When one is waiting it will see the new work (which
    committed before the caller got here); an index entry ``SAFETY_SECONDS`` later covers the case
    where that job is lost (a worker killed before it started): the work is late, never dropped.
    """
    tid = str(uuid.UUID(str(tenant_id)))
    spec = duework.kind_of(kind)
    marker = duework.queued_key(kind, tid)
    if not redis.set(marker, "now", nx=True, ex=duework.QUEUED_TTL):
        if redis.get(marker) != IN_RUN.encode():
            duework.signal(redis, tid, kind, time.time() + SAFETY_SECONDS)
        return False
    try:
        enqueue_tenant(run_due_work, redis, tid, (kind,), queue=queues.queue(spec.queue, redis))
    except Exception:
        redis.delete(duework.queued_key(kind, tid))
        duework.signal(redis, tid, kind)  # the scheduler's next poll picks it up
        raise
    return True


def next_due(kind: str, now: datetime, *, rebuild: bool = False) -> datetime | None:
    """The current tenant's next due time for ``kind`` (one query), or None."""
    query = import_attribute(duework.kind_of(kind).next_due)(now, rebuild=rebuild)
    return db.session().scalar(query)


@tenant_job(queue=queues.DEFAULT, timeout=600, statuses=("active", "suspended"))
def run_due_work(tenant_id, kind: str, more: tuple = ()) -> dict:
    """Job: run the tenant's due work of ``kind`` (and ``more`` kinds), then record when each is
    next due. The mail this run queues (a reminder, a cancellation) is delivered by this same job
    at its end, not by a second one."""
    redis = current_runtime().redis
    kinds = [kind, *(k for k in more if k != kind)]
    mail = duework.queued_key(OUTBOX, tenant_id)
    with redis.pipeline(transaction=False) as pipe:
        for name in kinds:  # work committed from now on needs a new job
            pipe.delete(duework.queued_key(name, tenant_id))
        if OUTBOX not in kinds:
            pipe.set(mail, IN_RUN, ex=duework.QUEUED_TTL)  # this run delivers its own mail
        pipe.execute()
    now = datetime.now(UTC)
    status = current_tenant().status
    if status != "active":
        for name in kinds:
            duework.park(redis, tenant_id, name, now)
        if OUTBOX not in kinds:
            redis.delete(mail)
        return skipped(status)
    results: dict[str, dict] = {}
    failure: Exception | None = None
    for name in kinds:
        try:
            results[name] = _run_kind(redis, tenant_id, name, now)
        except Exception as exc:  # noqa: BLE001 - the other kinds still run; re-raised below
            failure = failure or exc
    if OUTBOX not in kinds:
        redis.delete(mail)  # mail committed after this point gets its own job
        if next_due(OUTBOX, now) is not None:
            results[OUTBOX] = _run_kind(redis, tenant_id, OUTBOX, now)
        db.session().rollback()
    if failure is not None:
        raise failure
    first = results.pop(kind)
    return {"kind": kind, **first, **({"more": results} if results else {})}


OUTBOX = "outbox"


def _run_kind(redis, tenant_id: str, kind: str, now: datetime) -> dict:
    """Run one kind, then record its next due time (a failed run: after ``RETRY_SECONDS``)."""
    spec = duework.kind_of(kind)
    try:
        result = import_attribute(spec.run)()
    except Exception:
        log.exception("due work failed", extra={"tenant_id": tenant_id, "kind": kind})
        duework.signal(redis, tenant_id, kind, now + timedelta(seconds=RETRY_SECONDS))
        raise
    try:
        following = next_due(kind, now)
    finally:
        db.session().rollback()  # the read leaves no transaction open
    if following is not None:
        floor = datetime.now(UTC) + timedelta(seconds=REPEAT_SECONDS)
        duework.signal(redis, tenant_id, kind, following if following > now else floor)
    return {"next_due": following.isoformat() if following else None, **result}
