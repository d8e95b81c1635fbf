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

    @property
    def digest(self) -> str:
        canonical = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def job_id(self) -> str:
        """Deterministic: the same definition always has the same id."""
        return f"{ID_PREFIX}{self.name}-{self.digest}"

    def call(self) -> tuple[str, tuple, dict]:
        """The function rq-scheduler enqueues, with its arguments."""
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
    # messaging (SPEC §5.7): tenant outboxes every minute, the platform outbox every minute
    Schedule(
        "outbox-delivery",
        "tenantapp.outbox.delivery.deliver_tenant_outbox",
        interval=60,
        queue=queues.EMAIL,
        fan_out=True,
    ),
    Schedule(
        "platform-outbox",
        "controlplane.mail.delivery.deliver_platform_outbox",
        interval=60,
        queue=queues.EMAIL,
    ),
    Schedule(
        "booking-reminders",
        "tenantapp.bookings.jobs.scan_tenant_reminders",
        interval=300,
        queue=queues.EMAIL,
        fan_out=True,
    ),
    Schedule(
        "export-auto-replay",
        "tenantapp.exports.jobs.auto_replay_tenant_exports",
        interval=900,
        queue=queues.EXPORT,
        fan_out=True,
        setting="export_auto_replay",
    ),
    # deposits (SPEC §5.4): unpaid deposits past DEPOSIT_HOLD_MINUTES are cancelled
    Schedule(
        "deposit-cleanup",
        "tenantapp.bookings.jobs.deposit_cleanup",
        interval=300,
        fan_out=True,
    ),
    # storage (SPEC §5.6): retry failed deletes, purge deleted tenants' prefixes
    Schedule(
        "storage-janitor",
        "tenantapp.photos.janitor.storage_janitor",
        interval=60,
        fan_out=True,
    ),
    Schedule(
        "storage-purge", "controlplane.tenants.storage_purge.purge_deleted_tenants", interval=60
    ),
    # retention (SPEC §5.8): hourly; each tenant runs once per local date from 02:00 local
    Schedule(
        "retention-cleanup",
        "tenantapp.retention.jobs.retention_cleanup",
        interval=3600,
        fan_out=True,
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
