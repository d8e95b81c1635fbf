"""Operator console screens (``/ops/``): signed in with the test operator's Basic credentials,
over a fleet with a few workspaces and 30 days of snapshot history, so the charts have lines."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from controlplane.ops_console.models import OpsPoint, OpsSnapshot
from controlplane.ops_console.snapshots import hour_of, take_snapshot
from shared import db
from shared.runtime import use_runtime
from tests.conftest import OPERATOR
from tests.support import signup


def sign_in_as_operator(page) -> None:
    raw = base64.b64encode(":".join(OPERATOR).encode()).decode()
    page.set_extra_http_headers({"Authorization": f"Basic {raw}"})


def _history(live) -> None:
    """Hourly points for the last 30 days (once per run), then a real snapshot on top."""
    with use_runtime(live.runtime):
        try:
            if db.session().scalar(select(func.count()).select_from(OpsSnapshot)) > 24:
                return
            now = hour_of(datetime.now(UTC))
            rng = random.Random(32)
            rows, snaps = [], []
            active = 40
            for h in range(30 * 24, 0, -1):
                at = now - timedelta(hours=h)
                new = rng.choice((0, 0, 0, 1, 1, 2)) if 8 <= at.hour <= 20 else 0
                active += new
                rows += [
                    {"series": "signups", "hour": at, "label": "", "value": new},
                    {"series": "tenants", "hour": at, "label": "active", "value": active},
                    {"series": "tenants", "hour": at, "label": "suspended", "value": 3},
                    {
                        "series": "mrr_cents",
                        "hour": at,
                        "label": "pro",
                        "value": 9900 * active // 3,
                    },
                    {"series": "mrr_cents", "hour": at, "label": "business", "value": 29900 * 4},
                    {
                        "series": "api_requests",
                        "hour": at,
                        "label": "",
                        "value": int(800 + 600 * (8 <= at.hour <= 20) + rng.random() * 300),
                    },
                    {
                        "series": "outbox_depth",
                        "hour": at,
                        "label": "platform",
                        "value": rng.randint(0, 6),
                    },
                    {
                        "series": "outbox_depth",
                        "hour": at,
                        "label": "tenants_due",
                        "value": rng.randint(0, 12),
                    },
                    {"series": "dlq_depth", "hour": at, "label": "email", "value": 2 + h % 5},
                    {"series": "dlq_depth", "hour": at, "label": "webhook", "value": 1},
                ]
                snaps.append({"hour": at})
            with db.transaction() as tx:
                for i in range(0, len(rows), 2000):
                    tx.execute(insert(OpsPoint).values(rows[i : i + 2000]).on_conflict_do_nothing())
                tx.execute(insert(OpsSnapshot).values(snaps).on_conflict_do_nothing())
            take_snapshot(datetime.now(UTC))
        finally:
            db.close_session()


def ops_tenants(live, page) -> None:
    client = live.client()
    for _ in range(3):
        signup(client)
    sign_in_as_operator(page)
    page.goto(f"{live.url}/ops/")


def ops_tenant(live, page) -> None:
    tenant = signup(live.client())
    sign_in_as_operator(page)
    page.goto(f"{live.url}/ops/tenants/{tenant.id}")


def ops_suspend(live, page) -> None:
    tenant = signup(live.client())
    sign_in_as_operator(page)
    page.goto(f"{live.url}/ops/tenants/{tenant.id}/suspend")


def ops_charts(live, page) -> None:
    _history(live)
    sign_in_as_operator(page)
    page.goto(f"{live.url}/ops/charts?range=30d")


def ops_migrations(live, page) -> None:
    sign_in_as_operator(page)
    page.goto(f"{live.url}/ops/migrations")


def ops_jobs(live, page) -> None:
    sign_in_as_operator(page)
    page.goto(f"{live.url}/ops/jobs")


def ops_dlq(live, page) -> None:
    sign_in_as_operator(page)
    page.goto(f"{live.url}/ops/dlq")
