"""Bench: the t0012 customers/properties revision over a fleet of tenants with data (issue #21).

Builds its own database (dropped at the end), creates the tenants at the revision before
(``t0011_lead_proof``) with the cold-path DDL of that revision, fills each with customers, leads
(some at a repeated address), bookings (some with a worker) and time entries, then runs the fleet
migration to head with ``--parallel`` workers and checks that every lead and booking got a
property. The target is SPEC §10's for one revision: ≤ 30 s for 1 000 tenants.

    .venv/bin/python bench/customers_migration.py [--tenants 1000] [--parallel 2] [--leads 40]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import common  # noqa: E402
from controlplane.fleet.plan import MigrateOptions  # noqa: E402
from controlplane.fleet.service import migrate_fleet  # noqa: E402
from shared.migrations import _rendered_ddl, tenant_head  # noqa: E402
from shared.models.tenants import Tenant  # noqa: E402
from shared.runtime import Runtime  # noqa: E402
from shared.tenancy import new_schema_name, quoted_schema  # noqa: E402

FROM_REVISION = "t0011_lead_proof"
BATCH = 10  # schemas per set-up transaction (locks per created object, see fleet_migrate.py)
TARGET_S = 30.0
SECTION = "## Customers and properties migration (t0012)"


def _seed_sql(leads: int) -> str:
    """Rows of one tenant at t0011: leads/2 customers with two leads each (the second at the
    same address written differently, every fourth at a new address), leads/2 bookings, a worker
    on every other booking, a time entry on every booking with a worker."""
    customers = max(1, leads // 2)
    return f"""
INSERT INTO teams (name) VALUES ('Default');
INSERT INTO workers (name, email) VALUES ('W1', 'w1@example.com'), ('W2', 'w2@example.com');
INSERT INTO customers (name, email, phone)
  SELECT 'C' || g, 'c' || g || '@example.com', '+1780555' || lpad(g::text, 4, '0')
  FROM generate_series(1, {customers}) g;
INSERT INTO leads (customer_id, name, phone, address, postal_code, access_notes,
                   estimate_request, estimate, pricing_config_id, pricing_config_version,
                   config_hash, referral_code)
  SELECT 1 + (g - 1) % {customers}, 'L' || g, '+17805550000',
         CASE WHEN g % 4 = 0 THEN g || ' New St'
              WHEN g > {customers} THEN upper(((g - 1) % {customers} + 1) || ' main st ')
              ELSE ((g - 1) % {customers} + 1) || ' Main St' END,
         'T5J 1A1', 'buzz ' || g,
         '{{"beds": 2, "baths": 1, "service_type": "standard"}}',
         '{{"team_size": 1, "time_on_site_hours": 3.0, "total_before_tax_cents": 10500}}',
         1, 1, 'sha256:x', lpad(g::text, 8, '0')
  FROM generate_series(1, {leads}) g;
INSERT INTO bookings (lead_id, customer_id, team_id, worker_id, service_type, starts_at,
                      ends_at, duration_minutes, estimate_total_cents, total_cents, risk_score,
                      risk_band, policy_snapshot)
  SELECT l.id, l.customer_id, 1, CASE WHEN l.id % 2 = 0 THEN 1 + l.id % 4 / 2 END, 'standard',
         timestamptz '2030-01-07 16:00Z' + l.id * interval '1 day',
         timestamptz '2030-01-07 19:00Z' + l.id * interval '1 day', 180, 10500, 10500, 0,
         'LOW', '{{}}'
  FROM leads l WHERE l.id % 2 = 1 OR l.id % 4 = 0;
INSERT INTO time_entries (booking_id) SELECT id FROM bookings WHERE worker_id IS NOT NULL;
"""


def create_tenants(rt: Runtime, count: int, leads: int) -> float:
    """``count`` tenants at t0011 with data: schema DDL + rows + tenant row, ``BATCH`` per
    transaction."""
    started = time.perf_counter()
    app_role = make_url(rt.settings.database_url).username
    ddl, seed = _rendered_ddl(FROM_REVISION), _seed_sql(leads)
    for start in range(0, count, BATCH):
        rows = []
        with rt.owner_engine.begin() as conn:
            for i in range(start, min(start + BATCH, count)):
                schema = new_schema_name()
                q = quoted_schema(schema)
                script = f"CREATE SCHEMA {q}; SET LOCAL search_path TO {q};\n{ddl}\n{seed}\n"
                script += (
                    f'SET LOCAL search_path TO public; GRANT USAGE ON SCHEMA {q} TO "{app_role}";'
                )
                with conn.connection.dbapi_connection.cursor() as cur:
                    cur.execute(script)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "slug": f"bench-{i:05d}",
                        "company_name": f"Bench {i}",
                        "schema_name": schema,
                        "status": "active",
                        "plan_code": "free",
                        "time_zone": "America/Edmonton",
                        "schema_revision": FROM_REVISION,
                    }
                )
            conn.execute(insert(Tenant), rows)
    return time.perf_counter() - started


def check_links(rt: Runtime) -> dict:
    """Every lead and booking of every tenant points at a property; totals."""
    totals = {"leads": 0, "bookings": 0, "properties": 0, "unlinked": 0, "crews": 0}
    with rt.owner_engine.connect() as conn:
        schemas = conn.exec_driver_sql("SELECT schema_name FROM public.tenants").scalars().all()
        for schema in schemas:
            q = quoted_schema(schema)
            row = conn.exec_driver_sql(
                f"SELECT (SELECT count(*) FROM {q}.leads), (SELECT count(*) FROM {q}.bookings),"
                f" (SELECT count(*) FROM {q}.properties),"
                f" (SELECT count(*) FROM {q}.leads WHERE property_id IS NULL)"
                f" + (SELECT count(*) FROM {q}.bookings WHERE property_id IS NULL),"
                f" (SELECT count(*) FROM {q}.booking_workers)"
            ).one()
            for key, value in zip(totals, row, strict=True):
                totals[key] += value
    return totals


def doc_section(figures: dict, command: str) -> str:
    n, p = figures["tenants"], figures["parallel"]
    t = figures["totals"]
    lines = [
        SECTION,
        "",
        f"Command: `{command}` — {FROM_REVISION} → `{figures['tenant_head']}`; own database, "
        f"dropped at the end; {figures['machine']}; 1-min load average "
        f"{figures['load_average']} at the end, other work shared the box.",
        "",
        "| what | result | target |",
        "|---|---|---|",
        f"| t0012 (DDL + the `INSERT … SELECT` data migration), {n} tenants with "
        f"{figures['leads_per_tenant']} leads each, `--parallel {p}` "
        f"| {figures['migrate_s']:.2f} s ({figures['per_tenant_ms']:.1f} ms/tenant) "
        f"| ≤ {TARGET_S:g} s (SPEC §10, one revision) |",
        f"| leads and bookings left without a property | {t['unlinked']} | 0 |",
        "",
        f"Data migrated: {t['leads']} leads and {t['bookings']} bookings became {t['properties']} "
        f"properties; {t['crews']} single-worker assignments became crews of one. Set-up (not "
        f"measured against a target): {n} schemas at {FROM_REVISION} with their rows in "
        f"{figures['create_s']:.1f} s. Measured {figures['measured_at']}. JSON: "
        "`bench/results/customers_migration.json`.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--leads", type=int, default=40, help="leads per tenant")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    command = (
        f"python bench/customers_migration.py --tenants {args.tenants} "
        f"--parallel {args.parallel} --leads {args.leads}"
    )
    roles = (("cleanplane_app", "app-pw"), ("cleanplane_owner", "owner-pw"))
    with common.bench_runtime(
        prefix="cleanplane_bench_cust",
        roles=roles,
        bench_defaults=False,
        app_env="test",
        log_level="WARNING",
    ) as rt:
        create_s = create_tenants(rt, args.tenants, args.leads)
        rt.owner_engine.dispose()
        started = time.perf_counter()
        report = migrate_fleet(rt, MigrateOptions(parallel=args.parallel, trigger="bench"))
        migrate_s = time.perf_counter() - started
        assert report.ok and report.succeeded == args.tenants, report
        print(
            f"t0012 over {args.tenants} tenants with {args.leads} leads each, "
            f"--parallel {args.parallel}: {migrate_s:.2f} s (target <= {TARGET_S:g} s)"
        )
        totals = check_links(rt)
        print(f"leads and bookings without a property: {totals['unlinked']} (target 0)")

    figures = {
        "bench": "customers_migration",
        "command": command,
        "tenants": args.tenants,
        "parallel": args.parallel,
        "leads_per_tenant": args.leads,
        "create_s": round(create_s, 3),
        "migrate_s": round(migrate_s, 3),
        "per_tenant_ms": round(migrate_s / args.tenants * 1000, 2),
        "totals": totals,
        "target_s": TARGET_S,
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "tenant_head": tenant_head(),
        "load_average": common.environment()["loadavg_1m"],
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    text = None if args.no_docs else doc_section(figures, command)
    common.save("customers_migration", figures, SECTION, text)


if __name__ == "__main__":
    main()
