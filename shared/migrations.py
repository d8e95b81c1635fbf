"""Run the two Alembic tracks in-process (never as a subprocess: ~1.3 s per tenant)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from alembic import command
from shared.tenancy import check_schema_name, quoted_schema

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SCHEMA = "t_000000000000000000000000"

# Expand/contract: the oldest tenant revision this code can serve. Raise it only once every tenant
# is past it (``flask tenants migrate`` first, then deploy the code that drops the old shape).
# t0011: the ORM maps `settings.export_signing_secret` (t0010) and the lead-proof columns (t0011), so
# a tenant still below them gets 503 ``tenant_migrating`` instead of a 500 on a missing column.
# t0012: customers' details, properties, crews and time per worker are mapped (issue #21).
# t0013: booking-page branding on settings and leads.sms_opt_in are mapped (issue #27).
# t0014: invoices, payments, credit notes and the tax settings are mapped (issue #24).
# t0017: workers' pay settings and customer imports are mapped (issue #22).
# t0018: the plans table and the plan columns of bookings are mapped (issue #23).
# t0019: the settings row maps the SMS columns and the outbox may hold ``sms`` rows (issue #26).
TENANT_MIN_REVISION = "t0021_plan_cancel_requests"

# Namespace (first key of the two-int advisory lock) for per-tenant locks: "clnp".
TENANT_LOCK_NAMESPACE = 0x636C6E70
VERSION_BATCH = 500


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
    tenant_track().upgrade(conn, schema, revision)


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


# ---------------------------------------------------------------------------- the tenant track
@dataclass(frozen=True, eq=False)
class TenantTrack:
    """The tenant Alembic track at ``location``; its ScriptDirectory is loaded once per process.

    ``command.upgrade`` rebuilds the ScriptDirectory (re-reading every revision file) on each call;
    a fleet run upgrades thousands of schemas, so it keeps one and drives ``EnvironmentContext``
    itself. Tests and the bench point a track at a scratch copy with extra revisions.
    """

    location: str

    def config(self, **attributes) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", self.location)
        cfg.attributes.update(attributes)
        return cfg

    @cached_property
    def script(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())

    @cached_property
    def chain(self) -> tuple[str, ...]:
        """Revision ids from base to head (the track is linear: one head, a test checks it)."""
        revs = [r.revision for r in self.script.walk_revisions("base", "heads")]
        return tuple(reversed(revs))

    @property
    def head(self) -> str:
        return self.chain[-1]

    def upgrade(self, conn: Connection, schema: str, destination: str = "head") -> str | None:
        """Upgrade ``schema`` on ``conn`` (fresh for this tenant) in the caller's transaction.

        Returns the revision the schema was at (None: empty), as Alembic read it.
        """
        check_schema_name(schema)
        script = self.script
        cfg = self.config(connection=conn, schema=schema)
        started_at: list[str | None] = []

        def fn(rev, _context):
            started_at.append(rev[0] if rev else None)
            return script._upgrade_revs(destination, rev)

        with EnvironmentContext(cfg, script, fn=fn, destination_rev=destination):
            script.run_env()
        return started_at[0] if started_at else None

    def render_sql(self, schema: str, from_revision: str | None, to: str = "head") -> str:
        """The SQL that would take ``schema`` from ``from_revision`` to ``to`` (offline)."""
        check_schema_name(schema)
        cfg = self.config(schema=schema)
        buf = io.StringIO()
        cfg.output_buffer = buf
        command.upgrade(cfg, f"{from_revision}:{to}" if from_revision else to, sql=True)
        return buf.getvalue()


@lru_cache(maxsize=16)
def tenant_track(location: str | None = None) -> TenantTrack:
    """The tenant track at ``location`` (default: this repo's ``alembic_tenant``), cached."""
    return TenantTrack(str(Path(location).resolve()) if location else str(ROOT / "alembic_tenant"))


@dataclass(frozen=True)
class ServedRevisions:
    """Which tenant revisions this code serves, precomputed once (no SQL per request).

    Revisions from ``TENANT_MIN_REVISION`` to head are served; older ones (and an unknown
    ``NULL`` revision) get 503 ``tenant_migrating``. A revision this code does not know comes from a
    newer deploy that migrated the tenant during a rolling update: expand-only migrations keep it
    readable, so it is served.
    """

    min_revision: str
    allowed: frozenset[str]
    known: frozenset[str]

    def serves(self, revision: str | None) -> bool:
        return revision in self.allowed or (revision is not None and revision not in self.known)


def served_revisions(
    min_revision: str = TENANT_MIN_REVISION, track: TenantTrack | None = None
) -> ServedRevisions:
    chain = (track or tenant_track()).chain
    if min_revision not in chain:
        raise RuntimeError(f"TENANT_MIN_REVISION {min_revision!r} is not in the tenant track")
    return ServedRevisions(
        min_revision, frozenset(chain[chain.index(min_revision) :]), frozenset(chain)
    )


# ---------------------------------------------------------------------------- fleet helpers
def try_tenant_lock(conn: Connection, schema: str) -> bool:
    """Take the tenant's transaction-level advisory lock if free (migrations, moves, deletion)."""
    return bool(
        conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:ns, hashtext(:schema))"),
            {"ns": TENANT_LOCK_NAMESPACE, "schema": check_schema_name(schema)},
        ).scalar()
    )


def read_tenant_versions(
    conn: Connection, schemas: Iterable[str], batch: int = VERSION_BATCH
) -> dict[str, str | None]:
    """``{schema: revision}`` for every schema that has an ``alembic_version`` table.

    Batches of ``batch`` schemas per ``UNION ALL`` query (each read locks one table; reading all
    at once hits ``max_locks_per_transaction`` around 2 000 schemas, SPEC §12), each batch in its
    own short transaction (``conn`` must not be inside one). Schemas without a version table are
    left out; an empty one maps to None.
    """
    names = [check_schema_name(s) for s in schemas]
    with conn.begin():
        present = set(
            conn.execute(
                text(
                    "SELECT n.nspname FROM pg_catalog.pg_class c"
                    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relname = 'alembic_version' AND c.relkind = 'r'"
                    " AND n.nspname = ANY(:names)"
                ),
                {"names": names},
            ).scalars()
        )
    names = [n for n in names if n in present]
    versions: dict[str, str | None] = dict.fromkeys(names)
    for start in range(0, len(names), batch):
        chunk = names[start : start + batch]
        sql = " UNION ALL ".join(
            f"SELECT '{s}', version_num FROM {quoted_schema(s)}.alembic_version" for s in chunk
        )
        with conn.begin():
            for schema, version in conn.exec_driver_sql(sql):
                versions[schema] = version
    return versions
