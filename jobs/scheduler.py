"""The one scheduler process: ``python -m jobs.scheduler [--interval SECONDS] [--burst]``.

It runs rq-scheduler with ``TZ=UTC`` (rq-scheduler evaluates cron in the process's local zone),
first reconciling ``jobs.schedules.SCHEDULES`` under a Redis lock so restarts (or a second
scheduler starting at the same moment) never duplicate a schedule. It polls every ``--interval``
seconds (default 5) and writes a scheduler heartbeat on every poll, which keeps the beat well
inside the 30 s the spec asks for and ``/readyz``'s 90 s staleness limit. Each poll also
dispatches the due-work index (``jobs.dispatch.dispatch_due``): tenant jobs only for tenants with
due work, and no job at all for the poll itself.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import time
import warnings

import redis
import rq_scheduler

from jobs.dispatch import dispatch_due
from jobs.heartbeat import SCHEDULER, beat
from jobs.resilience import run_resiliently
from jobs.schedules import CRONTAB_WARNS_FROM, SCHEDULES, active_schedules, reconcile
from shared.logs import configure_logging
from shared.settings import Settings

log = logging.getLogger("jobs.scheduler")

POLL_SECONDS = 5
HEARTBEAT_SECONDS = 30
RECONCILE_LOCK = "cp:schedules:reconcile-lock"


class Scheduler(rq_scheduler.Scheduler):
    """rq-scheduler that reports its heartbeat for ``/readyz``.

    Its beat is not removed at shutdown: a restart takes seconds, well inside the 90 s limit,
    so a deploy does not make ``/readyz`` fail; a scheduler that stays down goes stale.
    """

    def heartbeat(self) -> None:
        super().heartbeat()
        beat(self.connection, SCHEDULER, self.name)

    def register_birth(self) -> None:
        super().register_birth()
        beat(self.connection, SCHEDULER, self.name)

    def enqueue_jobs(self):
        """Move due schedules into their queues, then dispatch the due-work index."""
        jobs = super().enqueue_jobs()
        try:
            dispatched = dispatch_due(self.connection)
        except Exception:  # noqa: BLE001 - the next poll tries again; schedules must go on
            log.exception("due-work dispatch failed")
        else:
            if dispatched["enqueued"]:
                log.info("due work dispatched", extra=dispatched)
        return jobs

    def _install_signal_handlers(self) -> None:
        """Stop on SIGINT/SIGTERM even while Redis is away (rq-scheduler's own handler raised
        the Redis error instead of exiting, and the retry loop would start it again)."""

        def stop(signum, frame):  # noqa: ARG001
            with contextlib.suppress(redis.RedisError):
                self.register_death()
                self.remove_lock()
            raise SystemExit(0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)


def use_utc() -> None:
    """Make local time UTC for this process (rq-scheduler's cron uses the local zone)."""
    os.environ["TZ"] = "UTC"
    time.tzset()
    warnings.filterwarnings("ignore", category=FutureWarning, module=CRONTAB_WARNS_FROM)


def reconcile_locked(scheduler: Scheduler, schedules=None) -> dict:
    """Reconcile ``schedules`` (default ``SCHEDULES``) while holding the reconcile lock."""
    with scheduler.connection.lock(RECONCILE_LOCK, timeout=60, blocking_timeout=60):
        return reconcile(scheduler, SCHEDULES if schedules is None else schedules)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m jobs.scheduler``."""
    parser = argparse.ArgumentParser(prog="python -m jobs.scheduler")
    parser.add_argument("--interval", type=int, default=POLL_SECONDS, help="poll seconds")
    parser.add_argument("--burst", action="store_true", help="enqueue what is due once, then quit")
    args = parser.parse_args(argv)
    if not 1 <= args.interval <= HEARTBEAT_SECONDS:
        parser.error(f"--interval must be between 1 and {HEARTBEAT_SECONDS} seconds")
    use_utc()
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    connection = redis.Redis.from_url(settings.redis_url)

    def run_once() -> bool:
        scheduler = Scheduler(
            connection=connection,
            interval=args.interval,
            name=f"{socket.gethostname()}-{os.getpid()}",
        )
        report = reconcile_locked(scheduler, active_schedules(settings))
        log.info("scheduler starting", extra={"interval": args.interval, "schedules": report})
        scheduler.run(burst=args.burst)
        return True  # run() only returns after a burst; a stop request raises SystemExit

    if args.burst:
        run_once()
    else:
        # rq-scheduler's loop raises on the first Redis error: start it again, never exit.
        run_resiliently(run_once, "scheduler")
    return 0


if __name__ == "__main__":
    sys.exit(main())
