"""Postgres tooling for copying one tenant schema: the server's own pg_dump/pg_restore/psql, schema
renaming in a plain dump, app-role grants and ``fingerprints()`` — the one proof that a copy is
faithful, used by backup/restore (``controlplane.backups``) and shard moves (``controlplane.shards``).

Binaries are taken for the server's major version only (``/usr/lib/postgresql/<major>/bin`` first,
then PATH if its version matches): an older pg_dump refuses a newer server, a newer one writes
archives the server's tools may not read (SPEC §2.7). Passwords go through ``PGPASSWORD``, never
the command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from shared.tenancy import check_schema_name, quoted_schema

SEQUENCE_PREFIX = "seq:"  # fingerprint keys of sequences; every other key is a table


class PgToolError(RuntimeError):
    """A Postgres tool is missing or failed; the step it ran changed nothing visible."""


def server_major(conn: Connection) -> int:
    """The server's major version (17 for 17.2)."""
    return int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000


def _binary_major(path: str) -> int | None:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def pg_binary(name: str, major: int) -> str:
    """``name`` (pg_dump, pg_restore, psql) of PostgreSQL ``major``, or ``PgToolError``."""
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if versioned.is_file() and os.access(versioned, os.X_OK):
        return str(versioned)
    found = shutil.which(name)
    if found and _binary_major(found) == major:
        return found
    raise PgToolError(f"no {name} for PostgreSQL {major} (looked in {versioned.parent} and PATH)")


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, plus an environment carrying it (never on argv)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return dsn, env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        name = Path(args[0]).name
        raise PgToolError(f"{name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def dump_schema(
    url: str, major: int, schema: str, out: Path, *, fmt: str = "plain", snapshot: str | None = None
) -> None:
    """Dump one schema (objects and data, no owners or grants) to ``out``.

    ``fmt`` is ``plain`` (SQL a backup keeps and renames) or ``custom`` (for ``restore_archive``);
    ``snapshot`` reads an exported snapshot, so the dump agrees with what the caller read.
    """
    check_schema_name(schema)
    dsn, env = libpq_target(url)
    args = [
        pg_binary("pg_dump", major),
        f"--dbname={dsn}",
        f"--schema={schema}",
        "--no-owner",
        "--no-privileges",
        f"--format={fmt}",
        f"--file={out}",
    ]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    _run(args, env)


def restore_sql(url: str, major: int, sql_file: Path) -> None:
    """Run a plain dump with psql in one transaction, stopping at the first error."""
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
    _run(args, env)


def restore_archive(url: str, major: int, archive: Path) -> None:
    """Restore a custom-format archive in one transaction, owned by ``url``'s role."""
    dsn, env = libpq_target(url)
    args = [
        pg_binary("pg_restore", major),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={dsn}",
        str(archive),
    ]
    _run(args, env)


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


def grant_app_role(conn: Connection, schema: str, app_role: str) -> None:
    """The app role's rights on a restored schema (what ``create_tenant_schema`` gives)."""
    q = quoted_schema(schema)
    conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA {q} TO "{app_role}"')
    conn.exec_driver_sql(
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {q} TO "{app_role}"'
    )
    conn.exec_driver_sql(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q} TO "{app_role}"')


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(conn: Connection, schema: str) -> list[str]:
    """The tables of ``schema`` (plain and partitioned), by name."""
    return list(
        conn.scalars(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') ORDER BY c.relname"
            ),
            {"schema": check_schema_name(schema)},
        )
    )


def _primary_key(conn: Connection, qualified: str) -> list[str]:
    return list(
        conn.scalars(
            text(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = CAST(:rel AS regclass) AND i.indisprimary "
                "ORDER BY array_position(i.indkey::int2[], a.attnum)"
            ),
            {"rel": qualified},
        )
    )


def fingerprints(conn: Connection, schema: str) -> dict[str, dict]:
    """``{table: {"rows": n, "md5": ...}, "seq:<name>": {"last_value": v}}`` for ``schema``.

    The checksum is md5 over the rows' text form ordered by primary key (whole row when a table
    has none), read in UTC so timestamps print the same on both sides whatever the session's zone.
    Sequences are compared too: a copy that would hand out an id twice is not faithful.
    """
    q = quoted_schema(schema)
    conn.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")
    out: dict[str, dict] = {}
    for table in tables(conn, schema):
        qualified = f"{q}.{_ident(table)}"
        order = ", ".join(f"t.{_ident(k)}" for k in _primary_key(conn, qualified)) or "t::text"
        count, digest = conn.execute(
            text(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {order}), '')) "
                f"FROM {qualified} t"
            )
        ).one()
        out[table] = {"rows": count, "md5": digest}
    for name, last in conn.execute(
        text(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = :s"
            " ORDER BY sequencename"
        ),
        {"s": schema},
    ):
        out[SEQUENCE_PREFIX + name] = {"last_value": last}
    return out


def table_fingerprints(prints: dict[str, dict]) -> dict[str, dict]:
    """The tables' entries of ``fingerprints()`` (without the sequences)."""
    return {k: v for k, v in prints.items() if not k.startswith(SEQUENCE_PREFIX)}
