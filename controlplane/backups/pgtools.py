"""Postgres tooling for per-tenant backups: the matching pg_dump/psql, schema renaming in a plain
dump, and per-table fingerprints (row count + checksum) to prove a restore is faithful."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from shared.tenancy import check_schema_name, quoted_schema


class BackupError(RuntimeError):
    """A backup or restore could not be done; nothing was changed by the failed step."""


def server_major(conn: Connection) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000


def _binary_major(path: str) -> int | None:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def pg_binary(name: str, major: int) -> str:
    """``name`` (pg_dump, psql) of the server's major version: Debian's versioned directory first,
    then PATH if its version matches. An older pg_dump refuses a newer server, a newer one writes
    dumps the server's psql may not read, so nothing else is accepted."""
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if versioned.is_file() and os.access(versioned, os.X_OK):
        return str(versioned)
    found = shutil.which(name)
    if found and _binary_major(found) == major:
        return found
    raise BackupError(f"no {name} for PostgreSQL {major} (looked in {versioned.parent} and PATH)")


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, plus an environment carrying it (never on argv)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return dsn, env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-2000:]}")


def dump_schema(url: str, major: int, schema: str, out: Path, snapshot: str | None) -> None:
    """Plain-SQL dump of one schema, without owners or grants (the restore re-grants)."""
    check_schema_name(schema)
    dsn, env = libpq_target(url)
    args = [
        pg_binary("pg_dump", major),
        f"--dbname={dsn}",
        f"--schema={schema}",
        "--no-owner",
        "--no-privileges",
        "--format=plain",
        f"--file={out}",
    ]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    _run(args, env, "pg_dump")


def restore_sql(url: str, major: int, sql_file: Path) -> None:
    dsn, env = libpq_target(url)
    args = [
        pg_binary("psql", major),
        f"--dbname={dsn}",
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
        f"--file={sql_file}",
    ]
    _run(args, env, "psql restore")


_COPY_START = re.compile(r"^COPY .* FROM stdin;$")


def rename_schema_in_dump(src: Path, dest: Path, old: str, new: str) -> None:
    """Rewrite a plain dump of schema ``old`` to create ``new``: identifiers only, never data.

    Schema names are random (``t_`` + hex), so a whole-word match outside COPY data can only be
    the schema itself; COPY blocks (the rows) are copied byte for byte.
    """
    pattern = re.compile(rf"\b{re.escape(check_schema_name(old))}\b")
    check_schema_name(new)
    in_copy = False
    with src.open(encoding="utf-8") as fin, dest.open("w", encoding="utf-8") as fout:
        for line in fin:
            if in_copy:
                if line.rstrip("\n") == "\\.":
                    in_copy = False
                fout.write(line)
                continue
            if _COPY_START.match(line.rstrip("\n")):
                in_copy = True
            fout.write(pattern.sub(new, line))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fingerprints(conn: Connection, schema: str) -> dict[str, dict]:
    """``{table: {"rows": n, "md5": ...}}`` for every table of ``schema``.

    The checksum is md5 over the rows' text form ordered by primary key (whole row when a table
    has none), read in UTC so timestamps print the same on both sides.
    """
    q = quoted_schema(schema)
    conn.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")
    tables = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        ),
        {"schema": schema},
    ).scalars()
    out: dict[str, dict] = {}
    for table in list(tables):
        qualified = f"{q}.{_ident(table)}"
        keys = conn.execute(
            text(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = CAST(:rel AS regclass) AND i.indisprimary "
                "ORDER BY array_position(i.indkey::int2[], a.attnum)"
            ),
            {"rel": qualified},
        ).scalars()
        order = ", ".join(f"t.{_ident(k)}" for k in keys) or "t::text"
        count, digest = conn.execute(
            text(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {order}), '')) "
                f"FROM {qualified} t"
            )
        ).one()
        out[table] = {"rows": count, "md5": digest}
    return out
