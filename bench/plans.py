"""Recurring plans bench (SPEC §5.10, §10): horizon extension of 1 000 weekly plans, 400-day preview.

Runs in a database of its own (dropped at the end) with a private Redis db index. One tenant on a
plan with room for every visit, 100 teams working 09:00–18:00 every day, and 1 000 weekly plans
(one customer, 2 bd / 1 ba = 3 h visits at 09:00 or 12:30, spread over weekdays and teams so every
visit fits its team) inserted unmaterialised. Figures:

- ``horizon_1000_s``: ``horizon.extend_all`` — the daily job's work — materialising the whole
  56-day horizon of the 1 000 plans (≈ 8 000 visits), in one process, day by day;
- ``horizon_week_s``: the same job a week later, adding one visit per plan (1 000 visits: a
  week of daily runs at once);
- ``horizon_day_s``: the next day's run (the steady state: about 1 000 / 7 visits);
- ``preview_400d_ms``: ``GET /admin/plans/{id}/schedule`` for 400 days, computed by the service
  (rule dates + the plan's bookings), p50 and p95 over 50 runs.

    .venv/bin/python bench/plans.py            # 1 000 plans
    .venv/bin/python bench/plans.py --quick    # 200 plans
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

from bench.common import bench_runtime, environment, save  # noqa: E402
from shared.runtime import use_runtime  # noqa: E402

SECTION = "## Recurring plans"
TEAMS = 100


def _tenant(client, rt) -> tuple[str, dict]:
    from shared.models.plans import Plan
    from shared.models.tenants import Tenant

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    resp = client.post(
        "/v1/signup",
        json={
            "company_name": "Bench Plans",
            "slug": slug,
            "email": f"{slug}@bench.example.com",
            "password": "Bench-Password-2026",
        },
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    with rt.owner_engine.begin() as conn:  # room for every visit of the run (its own database)
        conn.execute(update(Plan).where(Plan.code == "business").values(bookings_per_month=10**7))
        conn.execute(
            update(Tenant)
            .where(Tenant.id == uuid.UUID(body["tenant"]["id"]))
            .values(plan_code="business")
        )
    rt.tenants.bump(body["tenant"]["id"])
    return slug, {"Authorization": f"Bearer {body['access_token']}"}


def _setup(client, slug: str, headers: dict, plans: int) -> None:
    """100 teams working every day 09:00–18:00 and ``plans`` unmaterialised weekly plans."""
    from shared import db
    from tenantapp.plans.models import ServicePlan
    from tenantapp.plans.rules import PlanRule
    from tenantapp.plans.service import frozen_estimate

    url = f"/t/{slug}/v1"
    teams = client.put(
        f"{url}/admin/teams",
        json={"teams": [{"name": f"Team {i}"} for i in range(TEAMS)]},
        headers=headers,
    ).get_json()["items"]
    team_ids = [t["id"] for t in teams if t["active"]]
    hours = {"hours": [{"day_of_week": d, "start": "09:00", "end": "18:00"} for d in range(7)]}
    for team_id in team_ids:
        client.put(f"{url}/admin/teams/{team_id}/working-hours", json=hours, headers=headers)
    lead = client.post(
        f"{url}/leads",
        json={
            "name": "Bench Customer",
            "phone": "+1 403 555 0100",
            "email": "customer@bench.example.com",
            "estimate_request": {"beds": 2, "baths": 1},
        },
    ).get_json()
    customer_id = client.get(f"{url}/admin/leads/{lead['lead_id']}", headers=headers).get_json()[
        "lead"
    ]["customer_id"]
    from zoneinfo import ZoneInfo

    from shared.tenancy import tenant_context
    from tenantapp.pricing.estimator import duration_minutes

    zone = ZoneInfo("America/Edmonton")
    tomorrow = datetime.now(zone).date() + timedelta(days=1)
    with tenant_context(current_rt().tenants.by_slug(slug)):
        frozen = frozen_estimate({"beds": 2, "baths": 1}, "weekly")
        minutes = duration_minutes(frozen["estimate"]["time_on_site_hours"], "standard")
        rows = []
        for i in range(plans):
            first = tomorrow + timedelta(days=i % 7)
            start = dtime(9) if (i // 7) % 2 == 0 else dtime(12, 30)
            team = team_ids[(i // 14) % len(team_ids)]
            rule = PlanRule.new("weekly", first, start, zone, minutes)
            plan = ServicePlan(
                customer_id=customer_id,
                status="ACTIVE",
                frequency="weekly",
                rrule=rule.current.rrule,
                segments=[s.as_dict() for s in rule.segments],
                time_zone=zone.key,
                first_date=first,
                start_time=start,
                duration_minutes=minutes,
                team_id=team,
                worker_ids=[],
            )
            from tenantapp.plans.service import apply_estimate

            apply_estimate(plan, frozen)
            rows.append(plan)
        with db.transaction() as tx:
            tx.add_all(rows)
        db.close_session()


_RT: list = []


def current_rt():
    return _RT[0]


def _timed_extend(slug: str, now: datetime) -> tuple[float, dict]:
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.plans.horizon import extend_all

    with tenant_context(current_rt().tenants.by_slug(slug)):
        started = time.perf_counter()
        result = extend_all(now)
        elapsed = time.perf_counter() - started
        db.close_session()
    return elapsed, result


def _preview(slug: str, runs: int = 50) -> list[float]:
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.plans import service

    samples = []
    with tenant_context(current_rt().tenants.by_slug(slug)):
        plan = service.get(1)
        today = datetime.now(UTC).date()
        service.schedule(plan, today, today + timedelta(days=400))  # warm
        for _ in range(runs):
            started = time.perf_counter()
            items = service.schedule(plan, today, today + timedelta(days=400))
            samples.append((time.perf_counter() - started) * 1000)
        assert len(items) >= 56
        db.close_session()
    return samples


def run(plans: int) -> dict:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from wsgi import create_wsgi

    with bench_runtime() as rt:
        _RT[:] = [rt]
        client = Client(create_wsgi(rt.settings, runtime=rt), Response)
        with use_runtime(rt):
            slug, headers = _tenant(client, rt)
            _setup(client, slug, headers, plans)
            now = datetime.now(UTC)
            full_s, full = _timed_extend(slug, now)
            week_s, week = _timed_extend(slug, now + timedelta(days=7))
            day_s, day = _timed_extend(slug, now + timedelta(days=8))
            preview = sorted(_preview(slug))
        figures = {
            "horizon_1000_s": round(full_s, 2),
            "horizon_visits": full["visits"],
            "horizon_week_s": round(week_s, 2),
            "horizon_week_visits": week["visits"],
            "horizon_day_s": round(day_s, 2),
            "horizon_day_visits": day["visits"],
            "preview_400d_ms": round(statistics.median(preview), 2),
            "preview_400d_p95_ms": round(preview[int(len(preview) * 0.95) - 1], 2),
        }
        env = environment()
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "plans": plans,
        "cpus": env["cpus"],
        "load": env["loadavg_1m"],
        "figures": figures,
    }


def docs_section(result: dict, command: str) -> str:
    f = result["figures"]
    return "\n".join(
        [
            SECTION,
            "",
            f"`{command}` at {result['at']} ({result['plans']} weekly plans, {result['cpus']} "
            f"CPUs, load average {result['load']:.1f} when it ended).",
            "",
            "| figure | value | target |",
            "|---|---:|---:|",
            f"| horizon of {result['plans']} plans, whole 56 days ({f['horizon_visits']} visits) "
            f"| {f['horizon_1000_s']} s | ≤ 10 s |",
            f"| the same a week later ({f['horizon_week_visits']} visits) "
            f"| {f['horizon_week_s']} s | — |",
            f"| the next day's run ({f['horizon_day_visits']} visits) | {f['horizon_day_s']} s "
            "| — |",
            f"| 400-day schedule preview, p50 / p95 | {f['preview_400d_ms']} / "
            f"{f['preview_400d_p95_ms']} ms | ≤ 50 ms |",
            "",
            "The horizon figure is `tenantapp.plans.horizon.extend_all` — the daily job's "
            "work — in one process, placing the whole 56-day horizon of plans that had none "
            "(the heaviest run there is; a daily run adds about one day of visits). Per date, "
            "one transaction: the plans' row locks, that date's visits (not every visit since "
            "the window's start: that read was quadratic in the horizon), the date's team locks "
            "(100 teams), one calendar read, the team choice in memory, a multi-row insert "
            "and the `bookings_created` units in one step per period; the planning pass reads "
            "the visits' dates and states only (not whole bookings with their JSON). Profiled "
            "with cProfile (`extend_all` of 1 000 plans): 20.7 M Python calls before the "
            "per-date read, 16.0 M after; the steady-state daily run (143 visits) 3.1 s → "
            "1.0–1.2 s at a similar load after the states-only read. On this shared machine "
            "the whole-horizon figure swung between 14.5 s and 25 s across runs at load 6–7 "
            "(other sessions' tests and benches): read it against the quiet-machine run. A "
            "pipelined single-row "
            "`INSERT` (ids from the identity sequence) cut Python work by a quarter but was no "
            "faster on the clock under load (more statements for the server): not kept. The "
            "lead's quiet-machine run before these changes printed 10.95 s for the whole "
            "horizon (5.49 s a week later, 3.49 s the next day). The preview is "
            "`service.schedule` (rule dates + the plan's bookings) for 400 days. The machine "
            "is shared: the load average says how much of it the bench had. "
            "JSON: `bench/results/plans.json`.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 plans")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)
    plans = 200 if args.quick else args.plans
    result = run(plans)
    f = result["figures"]
    print(f"plans horizon_1000_s={f['horizon_1000_s']}")
    print(f"plans preview_400d_ms={f['preview_400d_ms']}")
    print(f"plans horizon_week_s={f['horizon_week_s']}")
    print(f"plans horizon_day_s={f['horizon_day_s']}")
    print(f"plans preview_400d_p95_ms={f['preview_400d_p95_ms']}")
    command = "python bench/plans.py" + (" --quick" if args.quick else "")
    text = None if args.no_docs else docs_section(result, command)
    save("plans", result, SECTION, text)


if __name__ == "__main__":
    main()
