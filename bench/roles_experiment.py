"""Per-tenant database roles experiment (SPEC §11, issue 11 item 4).

Question: should each tenant schema be owned by its own NOLOGIN role, with tenant transactions run
under ``SET LOCAL ROLE <tenant role>`` (a second, database-enforced wall between tenants)?

In a database of its own (dropped at the end; the roles it creates are dropped too), M tenant
schemas are built at head and seeded. Then, alternating in blocks of 100 transactions on one
app-role connection (SQLAlchemy, translate map, as the app does):
- **baseline**: BEGIN; SELECT the settings row; UPDATE it; COMMIT — round-robin over the tenants;
- **roles**: the same with ``SET LOCAL ROLE`` first (schema and tables owned by the tenant's role,
  the app role a member of every tenant role).
It also reports the cost of the role count itself: baseline throughput again with R extra roles
granted to the app role, ``pg_dumpall --roles-only`` time and size for that many roles, and the
dump + restore of one role-owned schema with owners kept (roles must exist on the target) vs
``--no-owner``.

    .venv/bin/python bench/roles_experiment.py                  # 200 tenants, 2 000 roles
    .venv/bin/python bench/roles_experiment.py --quick          # 50 tenants, 300 roles
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import select, text, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale_docs import write_block  # noqa: E402
from controlplane.pgtools import pg_binary, server_major  # noqa: E402
from controlplane.provisioning.service import seed_schema  # noqa: E402
from shared.db import make_engine, tenant_bind  # noqa: E402
from shared.dbsetup import drop_database, setup_database  # noqa: E402
from shared.migrations import create_tenant_schema  # noqa: E402
from shared.tenancy import new_schema_name  # noqa: E402
from tenantapp.seed import TenantSeed  # noqa: E402
from tenantapp.settings.models import TenantSettings  # noqa: E402

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
RESULTS = ROOT / "bench" / "results" / "roles_experiment.json"
NEGLIGIBLE = 0.03  # a cost under 3 % of throughput would count as negligible
BLOCK = 100


def pg_tool(engine, tool: str) -> str:
    with engine.connect() as conn:
        return pg_binary(tool, server_major(conn))


def admin(dbname: str | None = None) -> psycopg.Connection:
    url = ADMIN_URL if dbname is None else ADMIN_URL.rsplit("/", 1)[0] + f"/{dbname}"
    return psycopg.connect(url, autocommit=True)


def build(owner_engine, app_role: str, m: int) -> list[str]:
    schemas = []
    for i in range(m):
        schema = new_schema_name()
        with owner_engine.begin() as conn:
            create_tenant_schema(conn, schema, app_role)
            seed_schema(conn, schema, TenantSeed(f"Roles {i}", "America/Edmonton", None))
        schemas.append(schema)
    return schemas


def give_roles(dbname: str, schemas: list[str], prefix: str, app_role: str) -> list[str]:
    """Each schema and everything in it owned by a NOLOGIN role the app role may SET ROLE to.

    The owner role (migrations, dumps) is made a member of every tenant role too.
    """
    roles = []
    with admin(dbname) as conn:
        for i, schema in enumerate(schemas):
            role = f"{prefix}_{i}"
            ident = sql.Identifier(role)
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(ident))
            conn.execute(sql.SQL("GRANT {} TO {}").format(ident, sql.Identifier(app_role)))
            conn.execute(sql.SQL("GRANT {} TO cleanplane_owner").format(ident))
            conn.execute(
                sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(sql.Identifier(schema), ident)
            )
            for (table,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall():
                conn.execute(
                    sql.SQL("ALTER TABLE {}.{} OWNER TO {}").format(
                        sql.Identifier(schema), sql.Identifier(table), ident
                    )
                )
            roles.append(role)
    return roles


def extra_roles(prefix: str, count: int, app_role: str) -> list[str]:
    names = [f"{prefix}_x{i}" for i in range(count)]
    with admin() as conn:
        for name in names:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
            conn.execute(
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(name), sql.Identifier(app_role))
            )
    return names


def drop_roles(names: list[str]) -> None:
    with admin() as conn:
        for name in names:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def workload(app_engine, schemas, roles, transactions: int, offset: int = 0) -> float:
    """Seconds for ``transactions`` round-robin from tenant ``offset``; ``roles`` None: baseline."""
    started = time.perf_counter()
    for k in range(offset, offset + transactions):
        i = k % len(schemas)
        with tenant_bind(app_engine, schemas[i]).begin() as conn:
            if roles is not None:
                conn.exec_driver_sql(f'SET LOCAL ROLE "{roles[i]}"')
            conn.execute(select(TenantSettings.company_name)).one()
            conn.execute(update(TenantSettings).values(updated_at=text("now()")))
    return time.perf_counter() - started


def compare(app_engine, schemas, roles, transactions: int) -> tuple[float, float]:
    """Baseline and SET LOCAL ROLE throughput, alternating in blocks so both see the same load."""
    base_s = role_s = 0.0
    for offset in range(0, transactions, BLOCK):
        base_s += workload(app_engine, schemas, None, BLOCK, offset)
        role_s += workload(app_engine, schemas, roles, BLOCK, offset)
    done = len(range(0, transactions, BLOCK)) * BLOCK
    return done / base_s, done / role_s


def dump_restore(owner_url: str, engine, schema: str, scratch: str, keep_owner: bool) -> float:
    """Seconds to dump one schema and restore it into database ``scratch`` (as the superuser)."""
    target = ADMIN_URL.rsplit("/", 1)[0] + f"/{scratch}"
    flags = [] if keep_owner else ["--no-owner", "--no-privileges"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.dump"
        started = time.perf_counter()
        subprocess.run(  # noqa: S603
            [pg_tool(engine, "pg_dump"), "-Fc", f"--schema={schema}", f"--file={path}", owner_url],
            check=True,
            capture_output=True,
        )
        subprocess.run(  # noqa: S603
            [pg_tool(engine, "pg_restore"), *flags, "--exit-on-error", f"--dbname={target}", path],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started


def run(m: int, role_count: int, transactions: int, rounds: int) -> dict:
    tag = uuid.uuid4().hex[:8]
    name = f"cleanplane_bench_roles_{tag}"
    scratch = f"{name}_scratch"
    prefix = f"cpbench_{tag}"
    app_url = f"postgresql://cleanplane_app:app-pw@localhost:5432/{name}"
    owner_url = f"postgresql://cleanplane_owner:owner-pw@localhost:5432/{name}"
    setup_database(ADMIN_URL, app_url, owner_url)
    roles: list[str] = []
    extras: list[str] = []
    owner = make_engine(owner_url, pool_size=1)
    app = make_engine(app_url, pool_size=1)
    try:
        print(f"building {m} tenant schemas ...", flush=True)
        schemas = build(owner, "cleanplane_app", m)
        roles = give_roles(name, schemas, prefix, "cleanplane_app")
        workload(app, schemas, None, 200)  # warm the backend's caches for every schema
        workload(app, schemas, roles, 200)
        b, r = compare(app, schemas, roles, transactions * rounds)
        print(f"baseline {b:.0f} tx/s, SET LOCAL ROLE {r:.0f} tx/s, cost {1 - r / b:.1%}")

        print(f"adding {role_count} roles granted to the app role ...", flush=True)
        extras = extra_roles(prefix, role_count, "cleanplane_app")
        app.dispose()
        workload(app, schemas, roles, 200)
        mb, mr = compare(app, schemas, roles, transactions * rounds)
        print(f"with {role_count} more roles: baseline {mb:.0f} tx/s, SET LOCAL ROLE {mr:.0f}")

        started = time.perf_counter()
        dumped = subprocess.run(  # noqa: S603
            [pg_tool(owner, "pg_dumpall"), "--roles-only", f"--dbname={ADMIN_URL}"],
            check=True,
            capture_output=True,
        ).stdout
        dumpall_s = time.perf_counter() - started
        with admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        owned = dump_restore(owner_url, owner, schemas[0], scratch, keep_owner=True)
        with admin(scratch) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schemas[0])))
        unowned = dump_restore(owner_url, owner, schemas[0], scratch, keep_owner=False)
        with admin() as conn:
            version = conn.execute("SELECT version()").fetchone()[0]
    finally:
        app.dispose()
        owner.dispose()
        drop_database(ADMIN_URL, scratch)
        drop_database(ADMIN_URL, name)
        drop_roles(roles + extras)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "postgres": version,
        "cpus": os.cpu_count(),
        "tenants": m,
        "transactions_per_round": transactions,
        "rounds": rounds,
        "baseline_tps": round(b, 1),
        "set_local_role_tps": round(r, 1),
        "cost": round(1 - r / b, 4),
        "extra_roles": role_count,
        "baseline_tps_many_roles": round(mb, 1),
        "set_local_role_tps_many_roles": round(mr, 1),
        "cost_many_roles": round(1 - mr / mb, 4),
        "roles_dumpall_seconds": round(dumpall_s, 3),
        "roles_dumpall_kb": round(len(dumped) / 1024, 1),
        "restore_one_schema_with_owner_s": round(owned, 3),
        "restore_one_schema_no_owner_s": round(unowned, 3),
    }


def docs_block(res: dict, command: str) -> str:
    verdict = "negligible" if res["cost"] < NEGLIGIBLE else "not negligible"
    return "\n".join(
        [
            f"Command: `{command}` — last run {res['when']} on {res['cpus']} CPUs, "
            f"{res['postgres'].split(' on ')[0]}; {res['tenants']} tenants round-robin, "
            f"{res['transactions_per_round'] * res['rounds']} transactions per variant, the two "
            f"variants alternating in blocks of {BLOCK} so both see the same load; one app "
            "connection; each transaction reads and updates the settings row.",
            "",
            "| figure | measured |",
            "|---|---:|",
            f"| baseline (translate map only) | {res['baseline_tps']} tx/s |",
            f"| with `SET LOCAL ROLE <tenant role>` | {res['set_local_role_tps']} tx/s |",
            f"| cost of the role switch | {res['cost']:.1%} ({verdict}; bar {NEGLIGIBLE:.0%}) |",
            f"| baseline, app role member of {res['extra_roles']} more roles "
            f"| {res['baseline_tps_many_roles']} tx/s |",
            f"| `SET LOCAL ROLE`, same | {res['set_local_role_tps_many_roles']} tx/s "
            f"({res['cost_many_roles']:.1%}) |",
            f"| `pg_dumpall --roles-only` with those roles | {res['roles_dumpall_seconds']} s, "
            f"{res['roles_dumpall_kb']} kB |",
            f"| dump + restore one role-owned schema, owners kept "
            f"| {res['restore_one_schema_with_owner_s']} s |",
            f"| the same with `--no-owner` | {res['restore_one_schema_no_owner_s']} s |",
            "",
            "JSON: `bench/results/roles_experiment.json`.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--roles", type=int, default=2000)
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    if args.quick:
        args.tenants, args.roles, args.transactions, args.rounds = 50, 300, 1000, 3
    res = run(args.tenants, args.roles, args.transactions, args.rounds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=2))
    if not args.no_docs:
        command = "python bench/roles_experiment.py" + (" --quick" if args.quick else "")
        write_block("Per-tenant database roles (experiment)", docs_block(res, command))


if __name__ == "__main__":
    main()
