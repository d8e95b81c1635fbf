"""Reading the snapshot series back for the charts: by hour or by UTC day, over a range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from controlplane.ops_console.models import OpsPoint, OpsSnapshot
from controlplane.ops_console.snapshots import COUNTS, SERIES, hour_of
from shared import db

# The ranges the charts page offers: name -> (length, bucket).
RANGES = {
    "48h": (timedelta(hours=48), "hour"),
    "7d": (timedelta(days=7), "hour"),
    "30d": (timedelta(days=30), "day"),
    "90d": (timedelta(days=90), "day"),
    "400d": (timedelta(days=400), "day"),
}
DEFAULT_RANGE = "30d"


@dataclass(frozen=True)
class Axis:
    """The buckets of a chart: their start instants and their labels."""

    starts: list[datetime]
    labels: list[str]
    bucket: str


def axis(range_name: str, now: datetime | None = None, bucket: str | None = None) -> Axis:
    """Buckets covering ``range_name`` up to ``now`` (hours, or UTC days), oldest first."""
    length, default_bucket = RANGES[range_name]
    bucket = bucket or default_bucket
    end = hour_of(now or datetime.now(UTC))
    if bucket == "day":
        last = end.replace(hour=0)
        days = length.days
        starts = [last - timedelta(days=d) for d in range(days - 1, -1, -1)]
        labels = [s.strftime("%b %d") for s in starts]
    else:
        hours = int(length.total_seconds() // 3600)
        starts = [end - timedelta(hours=h) for h in range(hours - 1, -1, -1)]
        labels = [s.strftime("%d %H:00") for s in starts]
    return Axis(starts, labels, bucket)


def values(series: str, ax: Axis) -> dict[str, list[int | None]]:
    """``label -> values`` aligned with ``ax``: counts summed per bucket, gauges as their last
    snapshot in the bucket (``None`` where no snapshot was taken)."""
    start = ax.starts[0]
    step = timedelta(days=1) if ax.bucket == "day" else timedelta(hours=1)
    end = ax.starts[-1] + step
    bucket = func.date_trunc(ax.bucket, OpsPoint.hour, "UTC").label("bucket")
    sess = db.session()
    where = (OpsPoint.series == series, OpsPoint.hour >= start, OpsPoint.hour < end)
    if series in COUNTS:
        rows = sess.execute(
            select(OpsPoint.label, bucket, func.sum(OpsPoint.value))
            .where(*where)
            .group_by(OpsPoint.label, bucket)
        ).all()
    elif ax.bucket == "hour":
        rows = sess.execute(
            select(OpsPoint.label, OpsPoint.hour, OpsPoint.value).where(*where)
        ).all()
    else:
        # A gauge per day is its value at the day's last snapshot: find those hours in the small
        # snapshot table, then read just their points by primary key.
        last_hours = (
            select(func.max(OpsSnapshot.hour))
            .where(OpsSnapshot.hour >= start, OpsSnapshot.hour < end)
            .group_by(func.date_trunc("day", OpsSnapshot.hour, "UTC"))
        )
        found = sess.execute(
            select(OpsPoint.label, OpsPoint.hour, OpsPoint.value).where(
                OpsPoint.series == series, OpsPoint.hour.in_(last_hours)
            )
        ).all()
        rows = [(label, _day(at), value) for label, at, value in found]
    index = {s: i for i, s in enumerate(ax.starts)}
    out: dict[str, list[int | None]] = {}
    for label, at, value in rows:
        row = out.setdefault(label, [None] * len(ax.starts))
        i = index.get(at)
        if i is not None:
            row[i] = int(value)
    if series in COUNTS and last_snapshot() is not None:
        # The first snapshot backfilled the counts over the whole retention window (storing only
        # non-zero hours), so from then on a missing count is a zero.
        out.setdefault("", [None] * len(ax.starts))
        for row in out.values():
            row[:] = [0 if v is None else v for v in row]
    return out


def _day(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def latest(series: str) -> dict[str, int]:
    """The gauge's values at the newest snapshot (``{}`` before the first)."""
    sess = db.session()
    hour = sess.scalar(select(func.max(OpsPoint.hour)).where(OpsPoint.series == series))
    if hour is None:
        return {}
    rows = sess.execute(
        select(OpsPoint.label, OpsPoint.value).where(
            OpsPoint.series == series, OpsPoint.hour == hour
        )
    ).all()
    return {label: int(v) for label, v in rows}


def last_snapshot() -> OpsSnapshot | None:
    return db.session().scalar(select(OpsSnapshot).order_by(OpsSnapshot.hour.desc()).limit(1))


def as_json(name: str, range_name: str, bucket: str | None = None) -> dict:
    """``GET /v1/ops/series``: one series over ``range_name`` (``bucket`` overrides the range's)."""
    ax = axis(range_name, bucket=bucket)
    found = values(name, ax)
    last = last_snapshot()
    return {
        "series": name,
        "description": SERIES[name],
        "bucket": ax.bucket,
        "starts": ax.starts,
        "lines": [{"label": label, "values": found[label]} for label in sorted(found)],
        "last_snapshot_at": last.taken_at if last else None,
    }
