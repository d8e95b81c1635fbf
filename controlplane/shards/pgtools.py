"""One tenant schema's copy between databases: pg_dump / pg_restore and per-table fingerprints.

The tools are taken from ``/usr/lib/postgresql/<server major>/bin`` so a newer or older client on
the PATH never writes an archive the server cannot read (SPEC §2.7). Passwords go through
``PGPASSWORD``, never the command line. The backup feature (``flask tenants backup``) needs the
same dump of one schema; both can share ``dump_schema``/``restore_schema``/``fingerprints``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

from shared.tenancy import check_schema_name, quoted_schema


class ToolFailed(RuntimeError):
    pass


def server_major(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SHOW server_version_num"))) // 10000


def pg_tool(engine: Engine, tool: str) -> str:
    """The ``tool`` binary matching the server's major version (PATH as a last resort)."""
    candidate = Path(f"/usr/lib/postgresql/{server_major(engine)}/bin/{tool}")
    if candidate.exists():
        return str(candidate)
    found = shutil.which(tool)
    if found is None:
        raise ToolFailed(f"{tool} not found for server major {server_major(engine)}")
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise ToolFailed(f"{Path(args[0]).name} exited {done.returncode}: {done.stderr.strip()}")


def dump_schema(engine: Engine, url: str, schema: str, path: Path) -> None:
    """Write ``schema`` (objects and data, no owners or grants) to ``path`` in custom format."""
    dsn, env = _libpq(url)
    check_schema_name(schema)
    _run(
        [
            pg_tool(engine, "pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--schema={schema}",
            f"--file={path}",
            f"--dbname={dsn}",
        ],
        env,
    )


def restore_schema(engine: Engine, url: str, path: Path) -> None:
    """Restore an archive of one schema in one transaction, owned by ``url``'s role."""
    dsn, env = _libpq(url)
    _run(
        [
            pg_tool(engine, "pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={dsn}",
            str(path),
        ],
        env,
    )


def grant_app_role(conn: Connection, schema: str, app_role: str) -> None:
    """The app role's rights on a restored schema (what ``create_tenant_schema`` gives)."""
    q = quoted_schema(schema)
    conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA {q} TO "{app_role}"')
    conn.exec_driver_sql(
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {q} TO "{app_role}"'
    )
    conn.exec_driver_sql(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q} TO "{app_role}"')


def tables(conn: Connection, schema: str) -> list[str]:
    return list(
        conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
            {"s": check_schema_name(schema)},
        )
    )


def fingerprints(conn: Connection, schema: str) -> dict[str, dict]:
    """Per table: row count and an order-independent md5 of every row; per sequence: last value."""
    q = quoted_schema(schema)
    result: dict[str, dict] = {}
    for table in tables(conn, schema):
        rows, digest = conn.execute(
            text(
                "SELECT count(*), coalesce(md5(string_agg(h, ',' ORDER BY h)), '') "  # noqa: S608
                f'FROM (SELECT md5(t::text) AS h FROM {q}."{table}" AS t) AS rows'
            )
        ).one()
        result[table] = {"rows": rows, "md5": digest}
    for name, last in conn.execute(
        text(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = :s"
            " ORDER BY sequencename"
        ),
        {"s": schema},
    ):
        result[f"seq:{name}"] = {"last_value": last}
    return result
