"""Periodic jobs are data: the ``SCHEDULES`` list, reconciled at scheduler start.

Each ``Schedule`` gets a deterministic rq job id, ``schedule-<name>-<digest>``, where the digest
hashes the whole definition. ``reconcile(scheduler, SCHEDULES)`` then compares the ids wanted with
the ids in rq-scheduler's set: new definitions are created, unchanged ones kept (their next run
time untouched), changed ones replaced (old id cancelled, new id created) and removed ones cancelled.
A restart therefore never duplicates a schedule, and two schedulers reconciling at once agree.

How to add a periodic job:

1. Write the job with ``@job(...)`` (control plane) or ``@tenant_job(...)`` (per tenant) from
   ``jobs.decorators``, in the feature that owns it (e.g. ``tenantapp/messaging/jobs.py``).
2. Append a ``Schedule`` below: a unique ``name`` (``[a-z0-9_-]``), the dotted ``func`` path, either
   ``cron`` (evaluated in UTC; the scheduler runs with ``TZ=UTC``) or ``interval`` in seconds, the
   ``queue`` constant, and ``fan_out=True`` for a tenant job that must run once per active tenant
   (it is then enqueued per tenant by ``jobs.fanout.fan_out``, jittered, once per period).
3. Deploy; the next scheduler start picks it up. Changing any field replaces the schedule;
   deleting the entry cancels it. ``tests/jobs/test_schedules.py`` checks every entry imports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import warnings
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from crontab import CronTab
from rq.job import Job
from rq.utils import import_attribute

from jobs import queues

log = logging.getLogger("jobs.schedules")

ID_PREFIX = "schedule-"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FAN_OUT_FUNC = "jobs.fanout.fan_out"
DAILY_FAN_OUT_FUNC = "jobs.daily.daily_fan_out"
# crontab warns that its naive-datetime default will change; under TZ=UTC both behaviours agree.
CRONTAB_WARNS_FROM = "rq_scheduler.utils"


@dataclass(frozen=True)
class Schedule:
    """One periodic job: ``name``, ``func`` path, ``cron`` or ``interval`` seconds, ``queue``."""

    name: str
    func: str
    cron: str | None = None
    interval: int | None = None
    queue: str = queues.MAINTENANCE
    fan_out: bool = False
    timeout: int | None = None
    # The name of a boolean setting that switches this schedule on (None: always on).
    setting: str | None = None
    # A daily per-tenant job (with ``fan_out``): the local hour from which each tenant's day is due;
    # the schedule's interval is then the tick of the pre-filter (``jobs.daily``).
    daily_at: int | None = None

    def enabled(self, settings) -> bool:
        return self.setting is None or bool(getattr(settings, self.setting))

    def __post_init__(self) -> None:
        if not NAME_RE.fullmatch(self.name):
            raise ValueError(f"schedule name {self.name!r} must match {NAME_RE.pattern}")
        if (self.cron is None) == (self.interval is None):
            raise ValueError(f"schedule {self.name!r} needs exactly one of cron or interval")
        if self.interval is not None and (not isinstance(self.interval, int) or self.interval < 1):
            raise ValueError(f"schedule {self.name!r}: interval must be a whole number ≥ 1 s")
        if self.cron is not None:
            CronTab(self.cron)  # raises ValueError on a malformed expression
        if self.queue not in queues.ALL:
            raise queues.UnknownQueue(self.queue)
        if self.daily_at is not None and not (
            self.fan_out and self.interval and 0 <= self.daily_at <= 23
        ):
            raise ValueError(f"schedule {self.name!r}: daily_at needs fan_out, an interval, 0-23")

    @property
    def digest(self) -> str:
        fields = asdict(self)
        if fields["daily_at"] is None:
            del fields["daily_at"]  # definitions from before the field keep their ids
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def job_id(self) -> str:
        """Deterministic: the same definition always has the same id."""
        return f"{ID_PREFIX}{self.name}-{self.digest}"

    def call(self) -> tuple[str, tuple, dict]:
        """The function rq-scheduler enqueues, with its arguments."""
        if self.fan_out and self.daily_at is not None:
            return (
                DAILY_FAN_OUT_FUNC,
                (self.func, self.name),
                {"hour": self.daily_at, "interval": self.interval},
            )
        if self.fan_out:
            return (
                FAN_OUT_FUNC,
                (self.func, self.name),
                {"interval": self.interval, "cron": self.cron},
            )
        return self.func, (), {}


# Periodic jobs as data: reconciled at scheduler start by a deterministic id per definition.
SCHEDULES: list[Schedule] = [
    Schedule("heartbeat", "jobs.heartbeat.pipeline_heartbeat", interval=30),
    Schedule(
        "pool-refill",
        "controlplane.provisioning.pool.refill_pool_job",
        interval=60,
        queue=queues.PROVISIONING,
    ),
    # Per-tenant work that is usually empty (outbox delivery, reminders, deposit expiry, storage
    # janitor) has no schedule: the due-work index drives it (jobs/duework.py, jobs/dispatch.py),
    # dispatched by the scheduler on every poll. The reconcile rebuilds the index from the
    # tenant schemas, one job per 500 tenants, so a lost signal only delays work.
    Schedule("duework-reconcile", "jobs.reconcile.reconcile_due_work", cron="17 * * * *"),
    Schedule(
        "platform-outbox",
        "controlplane.mail.delivery.deliver_platform_outbox",
        interval=60,
        queue=queues.EMAIL,
    ),
    Schedule(
        "export-auto-replay",
        "tenantapp.exports.jobs.auto_replay_tenant_exports",
        interval=900,
        queue=queues.EXPORT,
        fan_out=True,
        setting="export_auto_replay",
    ),
    Schedule(
        "storage-purge", "controlplane.tenants.storage_purge.purge_deleted_tenants", interval=60
    ),
    # retention (SPEC §5.8): an hourly tick, pre-filtered by local time, so each tenant gets one
    # job per local date, at the first tick at or after 02:00 local (DST days work)
    Schedule(
        "retention-cleanup",
        "tenantapp.retention.jobs.retention_cleanup",
        interval=3600,
        fan_out=True,
        daily_at=2,
    ),
    # staged tenant deletion (SPEC §2.7): drop schemas past their retention window, daily
    Schedule(
        "tenant-deletion", "controlplane.tenants.deletion.finish_deletions", cron="15 3 * * *"
    ),
    # billing (SPEC §4.3, §4.4): usage flush, Stripe meters hourly, grace check daily
    Schedule("usage-flush", "shared.usage.flush_api_usage", interval=60),
    Schedule(
        "stripe-meters", "controlplane.billing.metering.report_usage_to_stripe", cron="5 * * * *"
    ),
    Schedule("billing-grace", "controlplane.billing.grace.billing_grace_check", cron="30 6 * * *"),
    # operator console charts (SPEC §4.5): hourly snapshot, after the minute's usage flush
    Schedule("ops-snapshot", "controlplane.ops_console.jobs.ops_snapshot", cron="3 * * * *"),
]


def active_schedules(settings, schedules: list[Schedule] | None = None) -> list[Schedule]:
    """The schedules switched on by ``settings`` (a switched-off one is removed at reconcile)."""
    return [s for s in (SCHEDULES if schedules is None else schedules) if s.enabled(settings)]


def _name_of(job_id: str) -> str:
    return job_id[len(ID_PREFIX) : -17]  # strip "schedule-" and "-<16 hex digest>"


def check(schedules: list[Schedule]) -> None:
    """Refuse duplicate names and functions that do not import, before touching Redis."""
    names = [s.name for s in schedules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate schedule names: {', '.join(duplicates)}")
    for s in schedules:
        try:
            fn = import_attribute(s.func)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ValueError(f"schedule {s.name!r}: cannot import {s.func}") from exc
        if s.fan_out and not getattr(fn, "is_tenant_job", False):
            raise ValueError(f"schedule {s.name!r}: fan-out needs a @tenant_job, {s.func} is not")


def _register(scheduler, s: Schedule) -> None:
    func, args, kwargs = s.call()
    common = {
        "args": args,
        "kwargs": kwargs,
        "id": s.job_id,
        "queue_name": s.queue,
        "timeout": s.timeout,
        "meta": {"schedule": s.name},
        "description": f"schedule {s.name}",
    }
    if s.cron is not None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, module=CRONTAB_WARNS_FROM)
            scheduler.cron(s.cron, func, use_local_timezone=False, **common)
    else:
        # rq-scheduler works in naive UTC datetimes.
        first_run = datetime.now(UTC).replace(tzinfo=None)
        scheduler.schedule(first_run, func, interval=s.interval, **common)


def reconcile(scheduler, schedules: list[Schedule]) -> dict[str, list[str]]:
    """Make rq-scheduler's schedules equal ``schedules``; report names by outcome.

    Returns ``created``, ``kept``, ``replaced`` and ``removed`` lists of schedule names. Scheduled
    jobs that are not schedules (ids without the ``schedule-`` prefix) are left alone.
    """
    check(schedules)
    conn = scheduler.connection
    wanted = {s.job_id: s for s in schedules}
    present = {
        (raw.decode() if isinstance(raw, bytes) else raw)
        for raw in conn.zrange(scheduler.scheduled_jobs_key, 0, -1)
    }
    present = {job_id for job_id in present if job_id.startswith(ID_PREFIX)}
    stale = {job_id for job_id in present & wanted.keys() if not Job.exists(job_id, conn)}
    gone = sorted(present - wanted.keys()) + sorted(stale)
    for job_id in gone:
        scheduler.cancel(job_id)
        conn.delete(Job.key_for(job_id))
    new = [s for job_id, s in wanted.items() if job_id not in present or job_id in stale]
    for s in new:
        _register(scheduler, s)
    created_names = {s.name for s in new}
    gone_names = {_name_of(job_id) for job_id in gone}
    report = {
        "created": sorted(created_names - gone_names),
        "kept": sorted(s.name for job_id, s in wanted.items() if job_id in present - stale),
        "replaced": sorted(created_names & gone_names),
        "removed": sorted(gone_names - created_names),
    }
    log.info("schedules reconciled", extra={"schedules": report})
    return report
