"""Create the database, its two roles and the ``cp_guard`` schema (idempotent).

Run with a superuser URL (the local server's ``postgres`` user): it creates the project's owner and
app roles and its database — it never alters the superuser or the server's configuration.

    python -m shared.dbsetup --admin-url postgresql://postgres@localhost:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import time

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

SETUP_LOCK_KEY = 7_316_091_442  # any constant shared by every caller


def _role_and_password(url: str) -> tuple[str, str | None, str]:
    parsed = make_url(url)
    return parsed.username, parsed.password, parsed.database


def setup_database(admin_url: str, app_url: str, owner_url: str) -> None:
    app_role, app_password, dbname = _role_and_password(app_url)
    owner_role, owner_password, owner_db = _role_and_password(owner_url)
    if owner_db != dbname:
        raise SystemExit("DATABASE_URL and DATABASE_OWNER_URL must name the same database")
    if app_role == owner_role:
        raise SystemExit("the app role and the owner role must differ")
    admin = make_url(admin_url).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    # Role and grant changes on shared catalog rows fail with "tuple concurrently updated" when
    # two set-ups run at once (pytest -n 2): serialise them on the admin database, and retry what
    # a set-up that does not take this lock (an older checkout on the same server) may still race.
    with psycopg.connect(admin_dsn, autocommit=True) as guard:
        guard.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
        for attempt in range(4):
            try:
                _setup(admin_dsn, admin, dbname, app_role, app_password, owner_role, owner_password)
                return
            except (
                psycopg.errors.InternalError,
                psycopg.errors.DuplicateObject,
                psycopg.errors.UniqueViolation,
            ):
                if attempt == 3:
                    raise
                time.sleep(0.2 * (attempt + 1))


def _setup(admin_dsn, admin, dbname, app_role, app_password, owner_role, owner_password):
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        # Roles are cluster-wide: parallel set-ups (xdist workers, CI beside a developer) would
        # race on the same pg_authid rows ("tuple concurrently updated"). Serialise them.
        conn.execute("SELECT pg_advisory_lock(hashtext('cleanplane.dbsetup'))")
        for role, password in ((owner_role, owner_password), (app_role, app_password)):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
                        sql.Identifier(role)
                    )
                )
            if password:
                conn.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(password)
                    )
                )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(dbname), sql.Identifier(owner_role)
                )
            )
    db_dsn = admin.set(database=dbname).render_as_string(hide_password=False)
    ident = sql.Identifier
    statements = [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident(dbname)),
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
            ident(dbname), ident(app_role)
        ),
        sql.SQL("CREATE SCHEMA IF NOT EXISTS cp_guard AUTHORIZATION {}").format(ident(owner_role)),
        sql.SQL("REVOKE ALL ON SCHEMA cp_guard FROM PUBLIC"),
        sql.SQL("GRANT USAGE ON SCHEMA cp_guard TO {}").format(ident(app_role)),
        sql.SQL("CREATE SCHEMA IF NOT EXISTS extensions AUTHORIZATION {}").format(
            ident(owner_role)
        ),
        sql.SQL("GRANT USAGE ON SCHEMA extensions TO {}").format(ident(app_role)),
        # Trigram search (SPEC §5.9): once per database (and so on every shard, each set up
        # here), never inside a tenant schema; tenant indexes name extensions.gin_trgm_ops.
        sql.SQL("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions"),
        # /metrics reads the memory of the app's own backends (catalog caches grow with the tenant
        # schemas a backend touched, SPEC §12); pg_backend_memory_contexts needs pg_read_all_stats,
        # so the app role gets this one fixed read through a SECURITY DEFINER function instead.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION extensions.backend_memory_bytes() RETURNS bigint "
            "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS "
            "'SELECT coalesce(sum(total_bytes), 0)::bigint FROM pg_backend_memory_contexts'"
        ),
        sql.SQL("REVOKE ALL ON FUNCTION extensions.backend_memory_bytes() FROM PUBLIC"),
        sql.SQL("GRANT EXECUTE ON FUNCTION extensions.backend_memory_bytes() TO {}").format(
            ident(app_role)
        ),
        sql.SQL("ALTER SCHEMA public OWNER TO {}").format(ident(owner_role)),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident(app_role)),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(ident(owner_role), ident(app_role)),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ).format(ident(owner_role), ident(app_role)),
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = cp_guard").format(
            ident(app_role), ident(dbname)
        ),
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = public").format(
            ident(owner_role), ident(dbname)
        ),
    ]
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        for stmt in statements:
            conn.execute(stmt)


def drop_database(admin_url: str, dbname: str) -> None:
    admin = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres"
        ),
    )
    args = parser.parse_args()
    app_url = os.environ["DATABASE_URL"]
    owner_url = os.environ.get("DATABASE_OWNER_URL") or app_url
    setup_database(args.admin_url, app_url, owner_url)
    print(f"database {make_url(app_url).database} ready")


if __name__ == "__main__":
    main()
