"""The project's RQ worker: ``python -m jobs.worker [QUEUE ...] [--burst] [--name NAME]``.

Once per worker process it builds a ``Runtime`` from the environment and makes it current, so jobs
reach engines, Redis and the tenant directory through ``current_runtime()``. Each job runs in a
forked work horse, which first disposes the SQLAlchemy pools it inherited (their sockets belong to
the parent; sharing them across processes corrupts both). Workers beat in Redis for ``/readyz``.
The worker also runs rq's own scheduler loop, which moves jobs queued with ``enqueue_at`` /
``enqueue_in`` (the fan-out's jittered jobs) to their queues when due.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import redis
import rq
from rq.utils import import_attribute

from jobs import duework, queues
from jobs.heartbeat import WORKER, beat, forget
from jobs.resilience import run_resiliently
from shared.logs import configure_logging
from shared.runtime import Runtime, use_runtime

# A short TTL keeps idle workers beating (rq beats on every dequeue timeout, TTL - 15 s).
WORKER_TTL = 60


def preload_due_work() -> None:
    """Import the due-work kinds (and the tenant domain behind them) once, before forking."""
    for kind in duework.KINDS:
        import_attribute(kind.run)
        import_attribute(kind.next_due)


class Worker(rq.Worker):
    """rq's forking worker with the Cleanplane runtime, pool hygiene and heartbeats."""

    def __init__(self, queue_names, *, runtime: Runtime | None = None, connection=None, **kwargs):
        self._runtime = runtime
        if connection is None:
            # Its own client: rq raises the socket timeout of the pool it is given for BLPOP,
            # which must not leak into the runtime's client used by jobs and requests.
            connection = redis.Redis.from_url(self.runtime.settings.redis_url)
        kwargs.setdefault("worker_ttl", WORKER_TTL)
        super().__init__(queue_names, connection=connection, **kwargs)

    @property
    def runtime(self) -> Runtime:
        """The process's runtime, built from the environment on first use."""
        if self._runtime is None:
            self._runtime = Runtime.from_env()
        return self._runtime

    def work(self, *args, **kwargs) -> bool:
        """Run the work loop with this worker's runtime current (work horses inherit it).

        The tenant directory is filled first: every forked horse inherits it, so a tenant job
        checks its tenant with one Redis GET instead of a new Postgres connection and query.
        """
        with use_runtime(self.runtime):
            self.runtime.tenants.preload()  # horses drop the pooled connection it used
            preload_due_work()  # each horse would import the tenant domain again (~0.7 s)
            return super().work(*args, **kwargs)

    def register_birth(self) -> None:
        super().register_birth()
        beat(self.connection, WORKER, self.name)

    def register_death(self) -> None:
        super().register_death()
        forget(self.connection, WORKER, self.name)

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        super().heartbeat(timeout, pipeline=pipeline)
        beat(pipeline if pipeline is not None else self.connection, WORKER, self.name)

    def main_work_horse(self, job, queue) -> None:
        """In the forked horse: drop inherited pooled connections, then run the job."""
        self.runtime.dispose()
        super().main_work_horse(job, queue)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.worker", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "queues",
        nargs="*",
        default=list(queues.ALL),
        help=f"queues (default: {' '.join(queues.ALL)})",
    )
    parser.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    parser.add_argument("--name", default=None, help="worker name (default: random)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.queues if name not in queues.ALL]
    if unknown:
        parser.error(f"unknown queue(s): {', '.join(unknown)}; known: {', '.join(queues.ALL)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m jobs.worker``."""
    args = parse_args(argv)
    os.environ["TZ"] = "UTC"
    time.tzset()
    runtime = Runtime.from_env()
    configure_logging(runtime.settings.log_level)

    def work_once() -> bool:
        """One worker lifetime; True when it ended because it was asked to (or burst is done)."""
        worker = Worker(args.queues, runtime=runtime, name=args.name)
        worker.work(burst=args.burst, with_scheduler=True, logging_level=runtime.settings.log_level)
        return args.burst or worker._shutdown_requested_date is not None

    try:
        if args.burst:
            work_once()
        else:
            # A Redis or Postgres outage ends rq's loop (or the preload): start again, never exit.
            run_resiliently(work_once, "worker")
    finally:
        runtime.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
