"""Heartbeats of workers, the scheduler and the job pipeline, kept in Redis for ``/readyz``.

Each kind is one sorted set ``cp:heartbeats:<kind>`` of ``name -> unix time of the last beat``:
workers beat on every rq heartbeat, the scheduler on every poll (at least every 30 s), and the
``heartbeat`` schedule enqueues ``pipeline_heartbeat`` so a fresh ``pipeline`` beat proves that
scheduler, queue and a worker all work end to end.
"""

from __future__ import annotations

import time

from jobs import queues
from jobs.decorators import job
from shared.runtime import current_runtime

WORKER = "worker"
SCHEDULER = "scheduler"
PIPELINE = "pipeline"
KINDS = (WORKER, SCHEDULER, PIPELINE)

SCHEDULER_MAX_AGE = 90  # seconds: three missed 30 s beats
FORGET_AFTER = 3600  # entries of processes silent this long are dropped from the report


def heartbeat_key(kind: str) -> str:
    return f"cp:heartbeats:{kind}"


def beat(redis, kind: str, name: str, now: float | None = None) -> None:
    """Record that process ``name`` of ``kind`` is alive (``redis`` may be a pipeline)."""
    if kind not in KINDS:
        raise ValueError(f"unknown heartbeat kind {kind!r}")
    redis.zadd(heartbeat_key(kind), {name: time.time() if now is None else now})


def forget(redis, kind: str, name: str) -> None:
    """Remove ``name`` (a process that shut down cleanly) from the report."""
    redis.zrem(heartbeat_key(kind), name)


def heartbeat_report(redis, now: float | None = None) -> dict:
    """Ages of the last beats: ``workers`` (name, age), ``scheduler_age``, ``scheduler_ok``.

    ``scheduler_ok`` is true when some scheduler beat less than ``SCHEDULER_MAX_AGE`` seconds ago.
    """
    now = time.time() if now is None else now
    with redis.pipeline() as pipe:
        for kind in KINDS:
            pipe.zremrangebyscore(heartbeat_key(kind), "-inf", now - FORGET_AFTER)
            pipe.zrange(heartbeat_key(kind), 0, -1, withscores=True)
        results = pipe.execute()[1::2]
    entries = {
        kind: [(name.decode() if isinstance(name, bytes) else name, now - at) for name, at in rows]
        for kind, rows in zip(KINDS, results, strict=True)
    }

    def freshest(kind: str) -> float | None:
        ages = [age for _, age in entries[kind]]
        return round(min(ages), 3) if ages else None

    scheduler_age = freshest(SCHEDULER)
    return {
        "workers": [
            {"name": name, "age": round(age, 3)}
            for name, age in sorted(entries[WORKER], key=lambda e: e[1])
        ],
        "scheduler_age": scheduler_age,
        "scheduler_ok": scheduler_age is not None and scheduler_age < SCHEDULER_MAX_AGE,
        "pipeline_age": freshest(PIPELINE),
    }


@job(queue=queues.MAINTENANCE, timeout=30, result_ttl=60)
def pipeline_heartbeat() -> None:
    """Beat for the whole pipeline: it ran, so the scheduler enqueued it and a worker took it."""
    beat(current_runtime().redis, PIPELINE, queues.MAINTENANCE)
