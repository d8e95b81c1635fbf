"""The job decorators: ``tenant_job`` for work inside one tenant, ``job`` for control-plane work.

A tenant job takes ``tenant_id`` first, then entity ids (never objects); new parameters go at the
end with defaults so jobs queued before a deploy still run::

    @tenant_job(queue=queues.EMAIL, timeout=60)
    def send_reminder(tenant_id: str, booking_id: int, channel: str = "email") -> None:
        booking = db.session().get(Booking, booking_id)  # already inside the tenant's schema
        ...

    send_reminder.enqueue(runtime, tenant_id, booking_id)

The decorator binds queue, timeout, result TTL and retries; ``.enqueue`` stores ``tenant_id`` in
``job.meta``. In the worker the job refuses to run without a tenant id (or with one that disagrees
with ``job.meta``), reloads the tenant through the runtime's ``TenantDirectory``, skips it unless its
status is allowed (``active`` by default) and runs inside ``tenant_context`` with its own session.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from rq import Queue, Retry, get_current_job
from rq.job import Job

from jobs import queues
from shared import metrics
from shared.runtime import current_runtime
from shared.tenancy import tenant_context

log = logging.getLogger("jobs")

ACTIVE_ONLY = frozenset({"active"})


class MissingTenant(ValueError):
    """A tenant job was called or enqueued without a usable tenant id."""


def skipped(reason: str) -> dict:
    """The result a tenant job returns when it did not run (tenant suspended, deleted, unknown)."""
    return {"skipped": True, "reason": reason}


def is_skipped(result) -> bool:
    """Whether a job result is the skip marker."""
    return isinstance(result, dict) and result.get("skipped") is True


@dataclass(frozen=True)
class JobOptions:
    """What a decorator binds: the queue and the limits every enqueue of that job uses."""

    queue: str
    timeout: int
    result_ttl: int
    retries: int = 0

    def enqueue_kwargs(self) -> dict:
        kwargs = {"job_timeout": self.timeout, "result_ttl": self.result_ttl}
        if self.retries:
            kwargs["retry"] = Retry(max=self.retries)
        return kwargs


def tenant_uuid(value) -> uuid.UUID | None:
    """``value`` as a tenant UUID, or None when it is missing or not a UUID."""
    if isinstance(value, uuid.UUID):
        return value
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _job_id() -> str | None:
    current = get_current_job()
    return current.id if current is not None else None


def _run_tenant_job(fn: Callable, statuses: frozenset, args: tuple, kwargs: dict):
    name = f"{fn.__module__}.{fn.__qualname__}"
    current = get_current_job()
    if "tenant_id" in kwargs:
        raw = kwargs.pop("tenant_id")
    elif args:
        raw, args = args[0], args[1:]
    else:
        raw = None
    tid = tenant_uuid(raw)
    extra = {"job": name, "job_id": current.id if current else None, "tenant_id": str(raw)}
    if tid is None:
        log.error("tenant job refused: no tenant id", extra=extra)
        raise MissingTenant(f"{name} needs a tenant id as its first argument")
    if current is not None and str(tenant_uuid(current.meta.get("tenant_id"))) != str(tid):
        log.error("tenant job refused: job.meta tenant_id missing or different", extra=extra)
        raise MissingTenant(f"{name}: job.meta['tenant_id'] does not match the tenant argument")
    ref = current_runtime().tenants.by_id(tid)
    if ref is None or ref.status not in statuses:
        reason = "not_found" if ref is None else ref.status
        log.info("tenant job skipped", extra={**extra, "reason": reason})
        return skipped(reason)
    started = time.monotonic()
    log.info("tenant job started", extra=extra)
    try:
        with metrics.track_job(name), tenant_context(ref):
            result = fn(str(tid), *args, **kwargs)
    except Exception:
        log.exception("tenant job failed", extra=extra)
        raise
    log.info(
        "tenant job done",
        extra={**extra, "duration_ms": round(1000 * (time.monotonic() - started))},
    )
    return result


def enqueue_tenant(
    fn: Callable,
    connection,
    tenant_id,
    args: Iterable = (),
    kwargs: dict | None = None,
    *,
    at: datetime | None = None,
    pipeline=None,
    job_id: str | None = None,
    queue: Queue | None = None,
) -> Job:
    """Enqueue tenant job ``fn`` now (or at ``at``), with ``tenant_id`` in ``job.meta``.

    ``pipeline`` batches many enqueues in one round trip (the fan-out uses it); ``job_id`` gives a
    deterministic id; ``queue`` reuses an open queue of the job's queue name.
    """
    tid = tenant_uuid(tenant_id)
    if tid is None:
        raise MissingTenant(f"cannot enqueue {fn.__qualname__} without a tenant id")
    options: JobOptions = fn.options
    q = queue if queue is not None else queues.queue(options.queue, connection)
    call = {
        "args": (str(tid), *args),
        "kwargs": dict(kwargs or {}),
        "meta": {"tenant_id": str(tid)},
        "job_id": job_id,
        "pipeline": pipeline,
        **options.enqueue_kwargs(),
    }
    if at is not None:
        return q.enqueue_at(at, fn, **call)
    return q.enqueue(fn, **call)


def tenant_job(
    queue: str = queues.DEFAULT,
    timeout: int = 300,
    result_ttl: int = 3600,
    *,
    retries: int = 0,
    statuses: Iterable[str] = ACTIVE_ONLY,
):
    """Make ``fn(tenant_id, *ids, ...)`` a tenant job bound to ``queue``, ``timeout``, ``result_ttl``.

    ``statuses`` are the tenant statuses the job runs for (``active`` only by default; a deletion
    job would pass ``{"deleting"}``); any other tenant gets the skip marker.
    """
    allowed = frozenset(statuses)
    if queue not in queues.ALL:
        raise queues.UnknownQueue(queue)

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return _run_tenant_job(fn, allowed, args, dict(kwargs))

        def enqueue(connection_or_runtime, tenant_id, *args, **kwargs) -> Job:
            """Enqueue this job for ``tenant_id`` with the bound queue and limits."""
            return enqueue_tenant(wrapper, connection_or_runtime, tenant_id, args, kwargs)

        wrapper.options = JobOptions(queue, timeout, result_ttl, retries)
        wrapper.is_tenant_job = True
        wrapper.enqueue = enqueue
        return wrapper

    return decorate


def job(queue: str = queues.MAINTENANCE, timeout: int = 300, result_ttl: int = 3600, *, retries=0):
    """Make ``fn`` a control-plane job (no tenant) bound to ``queue``, ``timeout``, ``result_ttl``."""
    if queue not in queues.ALL:
        raise queues.UnknownQueue(queue)

    def decorate(fn: Callable) -> Callable:
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            extra = {"job": name, "job_id": _job_id()}
            started = time.monotonic()
            try:
                with metrics.track_job(name):
                    result = fn(*args, **kwargs)
            except Exception:
                log.exception("job failed", extra=extra)
                raise
            elapsed = round(1000 * (time.monotonic() - started))
            log.info("job done", extra={**extra, "duration_ms": elapsed})
            return result

        def enqueue(connection_or_runtime, *args, **kwargs) -> Job:
            """Enqueue this job with the bound queue and limits."""
            q = queues.queue(queue, connection_or_runtime)
            return q.enqueue(wrapper, args=args, kwargs=kwargs, **wrapper.options.enqueue_kwargs())

        wrapper.options = JobOptions(queue, timeout, result_ttl, retries)
        wrapper.is_tenant_job = False
        wrapper.enqueue = enqueue
        return wrapper

    return decorate
