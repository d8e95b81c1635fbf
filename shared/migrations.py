"""Run the two Alembic tracks in-process (never as a subprocess: ~1.3 s per tenant)."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from alembic import command
from shared.tenancy import check_schema_name, quoted_schema

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SCHEMA = "t_000000000000000000000000"


def alembic_config(track: str = "public") -> Config:
    cfg = Config(
        str(ROOT / "alembic.ini"), ini_section="alembic" if track == "public" else "tenant"
    )
    cfg.set_main_option(
        "script_location", str(ROOT / ("alembic" if track == "public" else "alembic_tenant"))
    )
    return cfg


@lru_cache(maxsize=2)
def script_directory(track: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(track))


def tenant_head() -> str:
    return script_directory("tenant").get_current_head()


def public_head() -> str:
    return script_directory("public").get_current_head()


def upgrade_public(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config("public")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def public_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(
        conn, opts={"version_table_schema": "public"}
    ).get_current_revision()


def upgrade_tenant(conn: Connection, schema: str, revision: str = "head") -> None:
    """Upgrade one tenant schema on ``conn`` inside the caller's transaction.

    ``conn`` must be fresh for this tenant (no ``schema_translate_map``: SPEC §12).
    """
    check_schema_name(schema)
    cfg = alembic_config("tenant")
    cfg.attributes["connection"] = conn
    cfg.attributes["schema"] = schema
    command.upgrade(cfg, revision)


def tenant_revision(conn: Connection, schema: str) -> str | None:
    row = conn.execute(
        text(f"SELECT version_num FROM {quoted_schema(schema)}.alembic_version")  # noqa: S608
    ).first()
    return row[0] if row else None


@lru_cache(maxsize=8)
def _rendered_ddl(head: str) -> str:
    cfg = alembic_config("tenant")
    buf = io.StringIO()
    cfg.output_buffer = buf
    cfg.attributes["schema"] = PLACEHOLDER_SCHEMA
    cfg.attributes["offline_unqualified"] = True
    command.upgrade(cfg, f"base:{head}", sql=True)
    return buf.getvalue()


def head_ddl() -> str:
    """The tenant track's DDL up to head, rendered once per head and cached (cold provisioning)."""
    return _rendered_ddl(tenant_head())


def create_tenant_schema(conn: Connection, schema: str, app_role: str | None) -> None:
    """Create ``schema`` at head on ``conn`` (owner role) within the caller's transaction.

    The schema, the cached head DDL (with its ``alembic_version`` stamp) and the grant go to the
    server as one script in one round trip. It is sent on the DBAPI cursor without parameters, so
    psycopg neither parses it for placeholders (a ``'%'`` in a CHECK or default would break
    ``exec_driver_sql``) nor switches to the extended protocol (one statement per call).
    """
    q = quoted_schema(schema)
    script = [f"CREATE SCHEMA {q};", f"SET LOCAL search_path TO {q};", head_ddl()]
    script.append("SET LOCAL search_path TO public;")
    if app_role:
        script.append(f'GRANT USAGE ON SCHEMA {q} TO "{app_role}";')
    with conn.connection.dbapi_connection.cursor() as cur:
        cur.execute("\n".join(script))
