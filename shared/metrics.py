"""Prometheus metrics for both apps and the jobs (SPEC §8).

Every label value here comes from code (a route template, a job function name, a queue constant),
never from a request's path, a slug or a tenant id, so the number of series stays bounded however
many tenants and URLs there are. ``/metrics`` on the control plane renders them.

Under gunicorn the launcher sets ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, wiped at start);
``prometheus_client`` then keeps the values in per-process files and a scrape aggregates every
worker's files. Without it, the values live in this process only.

Hooks for the other subsystems (call them; they never raise into the caller's work):
- jobs: ``track_job(name)`` around a run, or ``observe_job(name, seconds, ok)``;
- queues: ``set_queue_depth(queue, depth)``; outbox: ``set_outbox_depth(plane, depth)``;
  due-work index: ``set_due_work(stats)``;
  dead letters: ``set_dlq_depth(kind, depth)``;
- webhooks: ``webhook_outcome(source, outcome)``;
- fleet migrations: ``fleet_migration_result(outcome, seconds)`` once per tenant migrated;
- provisioning: ``observe_provisioning(seconds, path)``;
- outbox delivery: ``observe_outbox_delivery(plane, kind, lag_seconds)`` once per message sent;
- heartbeats, warm pool, database backend memory: setters called by the scrape hooks;
- anything computed at scrape time (a queue depth read from Redis): ``on_scrape(fn)``, where
  ``fn(runtime)`` is called before each scrape and usually calls the setters above.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from shared import circuit
from shared.models.tenants import TENANT_STATUSES, Tenant

log = logging.getLogger("cleanplane.metrics")

REGISTRY = CollectorRegistry(auto_describe=True)
UNMATCHED_ROUTE = "<unmatched>"

HTTP_LATENCY = Histogram(
    "cleanplane_http_request_duration_seconds",
    "Request latency by app, route template, method and status class.",
    ["app", "route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
HTTP_5XX = Counter(
    "cleanplane_http_server_errors_total",
    "Responses with a 5xx status, by app, route template and method.",
    ["app", "route", "method"],
    registry=REGISTRY,
)
PROVISIONING_SECONDS = Histogram(
    "cleanplane_provisioning_duration_seconds",
    "Time to provision one tenant schema (path: cold, pool, migrated).",
    ["path"],
    buckets=(0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
    registry=REGISTRY,
)
FLEET_MIGRATIONS = Counter(
    "cleanplane_fleet_migration_results_total",
    "Per-tenant results of fleet migrations (outcome: succeeded, failed, skipped).",
    ["outcome"],
    registry=REGISTRY,
)
FLEET_MIGRATION_SECONDS = Histogram(
    "cleanplane_fleet_migration_tenant_duration_seconds",
    "Time to migrate one tenant schema during a fleet migration.",
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0),
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "cleanplane_job_runs_total",
    "Job runs by job function and outcome (ok, failed).",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_FAILURES = Counter(
    "cleanplane_job_failures_total", "Failed job runs by job function.", ["job"], registry=REGISTRY
)
JOB_SECONDS = Histogram(
    "cleanplane_job_duration_seconds",
    "Job run time by job function.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "cleanplane_queue_depth",
    "Jobs waiting per RQ queue.",
    ["queue"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "cleanplane_outbox_depth",
    "Outbox rows waiting for delivery (plane: control, tenants).",
    ["plane"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
DLQ_DEPTH = Gauge(
    "cleanplane_dead_letters",
    "Dead letters across tenants by kind (email, webhook, export), from the control-plane index.",
    ["kind"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
DUE_WORK_ENTRIES = Gauge(
    "cleanplane_due_work_entries",
    "(tenant, kind) entries in the due-work index (state: scheduled, due, parked).",
    ["state"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
DUE_WORK_OLDEST_AGE = Gauge(
    "cleanplane_due_work_oldest_due_seconds",
    "How long the oldest due entry of the due-work index has been due (0: none due).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
WEBHOOK_OUTCOMES = Counter(
    "cleanplane_webhook_outcomes_total",
    "Incoming webhooks by source (stripe, stripe_connect) and outcome "
    "(processed, duplicate, ignored, bad_signature, failed).",
    ["source", "outcome"],
    registry=REGISTRY,
)

OUTBOX_DELIVERY_LAG = Histogram(
    "cleanplane_outbox_delivery_lag_seconds",
    "Time from an outbox row's commit to its successful delivery (plane: control, tenant).",
    ["plane", "kind"],
    buckets=(0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
    registry=REGISTRY,
)
OUTBOX_OLDEST_DUE = Gauge(
    "cleanplane_outbox_oldest_due_seconds",
    "Age of the oldest outbox row that is due and not delivered yet (0 when none).",
    ["plane"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
HEARTBEAT_AGE = Gauge(
    "cleanplane_job_heartbeat_age_seconds",
    "Seconds since the freshest heartbeat of each kind (worker, scheduler, pipeline); "
    "+Inf when none was seen in the last hour.",
    ["kind"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
WARM_POOL_READY = Gauge(
    "cleanplane_warm_pool_ready",
    "Unclaimed warm-pool schemas at the current tenant head (signup claims one each).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
WARM_POOL_TARGET = Gauge(
    "cleanplane_warm_pool_target",
    "TENANT_POOL_SIZE: how many ready pool schemas the refill job keeps.",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
DB_BACKEND_MEMORY = Gauge(
    "cleanplane_db_backend_memory_bytes",
    "Private memory (all memory contexts) of a pooled app-role Postgres backend, sampled at "
    "scrape time; grows with the tenant schemas a backend has touched (catalog caches).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)

_scrape_hooks: list[Callable] = []


# ---------------------------------------------------------------- hooks for other subsystems
def observe_provisioning(seconds: float, path: str = "cold") -> None:
    """Record one provisioning run (``path``: cold, pool or migrated)."""
    PROVISIONING_SECONDS.labels(path=path).observe(seconds)


def observe_job(job: str, seconds: float, ok: bool) -> None:
    """Record one job run; ``job`` is the job function's name (a code constant)."""
    JOB_RUNS.labels(job=job, outcome="ok" if ok else "failed").inc()
    if not ok:
        JOB_FAILURES.labels(job=job).inc()
    JOB_SECONDS.labels(job=job).observe(seconds)


@contextmanager
def track_job(job: str) -> Iterator[None]:
    """Time the enclosed job run and count it as failed if it raises (the error propagates)."""
    started = time.perf_counter()
    ok = False
    try:
        yield
        ok = True
    finally:
        observe_job(job, time.perf_counter() - started, ok)


def set_queue_depth(queue: str, depth: int) -> None:
    QUEUE_DEPTH.labels(queue=queue).set(depth)


def set_outbox_depth(plane: str, depth: int) -> None:
    """Rows due or retrying in the outboxes (``plane``: control or tenants, summed)."""
    OUTBOX_DEPTH.labels(plane=plane).set(depth)


def set_dlq_depth(kind: str, depth: int) -> None:
    DLQ_DEPTH.labels(kind=kind).set(depth)


def set_due_work(stats: dict) -> None:
    """The due-work index figures (``jobs.duework.stats``)."""
    DUE_WORK_ENTRIES.labels(state="scheduled").set(stats["size"] - stats["due_now"])
    DUE_WORK_ENTRIES.labels(state="due").set(stats["due_now"])
    DUE_WORK_ENTRIES.labels(state="parked").set(stats["parked"])
    DUE_WORK_OLDEST_AGE.set(stats["oldest_due_age_seconds"])


def webhook_outcome(source: str, outcome: str) -> None:
    WEBHOOK_OUTCOMES.labels(source=source, outcome=outcome).inc()


def fleet_migration_result(outcome: str, seconds: float | None = None) -> None:
    """One tenant's result in a fleet migration (succeeded, failed or skipped)."""
    FLEET_MIGRATIONS.labels(outcome=outcome).inc()
    if seconds is not None:
        FLEET_MIGRATION_SECONDS.observe(seconds)


def observe_outbox_delivery(plane: str, kind: str, lag_seconds: float) -> None:
    """One message delivered ``lag_seconds`` after its row was committed."""
    OUTBOX_DELIVERY_LAG.labels(plane=plane, kind=kind).observe(max(lag_seconds, 0.0))


def set_outbox_oldest_due(plane: str, seconds: float) -> None:
    OUTBOX_OLDEST_DUE.labels(plane=plane).set(max(seconds, 0.0))


def set_heartbeat_age(kind: str, seconds: float | None) -> None:
    """``None`` (no beat seen) is exported as +Inf so a "stale" alert fires on it too."""
    HEARTBEAT_AGE.labels(kind=kind).set(float("inf") if seconds is None else seconds)


def set_warm_pool(ready: int, target: int) -> None:
    WARM_POOL_READY.set(ready)
    WARM_POOL_TARGET.set(target)


def set_db_backend_memory(nbytes: int) -> None:
    DB_BACKEND_MEMORY.set(nbytes)


def on_scrape(fn: Callable) -> Callable:
    """Register ``fn(runtime)`` to refresh gauges before each scrape (usable as a decorator)."""
    if fn not in _scrape_hooks:
        _scrape_hooks.append(fn)
    return fn


# ---------------------------------------------------------------- request instrumentation
def route_label(req=None) -> str:
    """The matched route template (``/v1/admin/blackouts/<int:blackout_id>``), never the path."""
    rule = (req or request._get_current_object()).url_rule
    return rule.rule if rule is not None else UNMATCHED_ROUTE


def init_app(app: Flask) -> None:
    """Time every request of ``app`` by route template and count its 5xx responses."""
    app_name = app.name
    histograms: dict[tuple, object] = {}  # labelled children, looked up once per label set

    @app.after_request
    def _observe(resp):
        started = g._get_current_object().get("started")
        if started is not None:
            req = request._get_current_object()
            route = route_label(req)
            method = req.method if req.method in _METHODS else "OTHER"
            key = (route, method, resp.status_code // 100)
            histogram = histograms.get(key)
            if histogram is None:
                histogram = histograms[key] = HTTP_LATENCY.labels(
                    app=app_name, route=route, method=method, status=f"{key[2]}xx"
                )
            histogram.observe(time.perf_counter() - started)
            if resp.status_code >= 500:
                HTTP_5XX.labels(app=app_name, route=route, method=method).inc()
        return resp


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# ---------------------------------------------------------------- scrape
def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def gunicorn_on_starting(server) -> None:  # gunicorn's hook signature
    """Gunicorn ``on_starting`` hook (master, before any worker): empty the multiprocess
    directory, so counters of an earlier run (a restarted container) do not come back."""
    directory = multiprocess_dir()
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.unlink(os.path.join(directory, name))


def gunicorn_child_exit(server, worker) -> None:  # gunicorn's hook signature
    """Gunicorn ``child_exit`` hook: drop a dead worker's live gauges from the shared files."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


class _ScrapeTimeCollector:
    """Values read when scraped: tenants by status (one query) and circuit-breaker states."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        tenants = GaugeMetricFamily(
            "cleanplane_tenants", "Tenants by lifecycle status.", labels=["status"]
        )
        try:
            counts = tenant_counts(self.runtime)
        except Exception:  # /readyz reports the database; the scrape carries on
            log.warning("metrics: tenant counts unavailable")
            counts = {}
        for status, count in counts.items():
            tenants.add_metric([status], count)
        yield tenants
        circuits = GaugeMetricFamily(
            "cleanplane_circuit_state",
            "Circuit breaker state per dependency in the scraped process "
            "(0 closed, 1 half-open, 2 open).",
            labels=["name"],
        )
        for name, state in sorted(circuit.states().items()):
            circuits.add_metric([name], circuit.STATE_VALUES.get(state, 2))
        yield circuits


class _ProcessCollector:
    def collect(self):
        yield from REGISTRY.collect()


def tenant_counts(runtime) -> dict[str, int]:
    from sqlalchemy import func, select

    counts = dict.fromkeys(TENANT_STATUSES, 0)
    with runtime.engine.connect() as conn:
        for status, count in conn.execute(
            select(Tenant.status, func.count()).group_by(Tenant.status)
        ):
            counts[status] = count
    return counts


def render(runtime) -> tuple[bytes, str]:
    """The exposition text of every metric (all gunicorn workers' in multiprocess mode)."""
    for hook in list(_scrape_hooks):
        try:
            hook(runtime)
        except Exception:  # a broken hook must not break the scrape
            log.warning("metrics scrape hook %s failed", getattr(hook, "__name__", hook))
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(_ScrapeTimeCollector(runtime))
    return generate_latest(registry), CONTENT_TYPE_LATEST
