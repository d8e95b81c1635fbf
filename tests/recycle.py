"""Tenant schemas made by one test go back to the warm pool for the next test's signups.

Creating a tenant schema is ~300-500 ms of catalog work (about 300 relations); most tests sign up
one or two tenants, so the suite spent most of its time in ``CREATE TABLE``. After each test that
used the session's runtime, every tenant it signed up whose schema is still exactly the head
schema (same relations, columns, defaults, constraints, indexes, triggers, functions, owners and
grants as a freshly built one, and ``alembic_version`` at head) is taken apart again:

1. its control-plane rows go (``DELETE`` of the tenant row, which cascades);
2. its schema's rows are deleted (children before parents) and its sequences set back to 1;
3. the schema is put back in ``tenant_pool`` as unclaimed at head.

The next signup then takes the product's own warm path (``claim_pool_schema`` + seed), which is
what a deployment with ``TENANT_POOL_SIZE`` runs. A schema that differs from head in any way, a
tenant whose rows cannot go (a foreign key without a cascade, a lock held past 2 s) or a schema on
another shard stays as the test left it. Tests that assert the pool's contents or the cold path
(``empty_pool`` in tests/provisioning) park the recycled rows for their duration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.migrations import create_tenant_schema, tenant_head
from shared.shards import DEFAULT_SHARD

log = logging.getLogger("tests.recycle")

# Everything a test could change about a schema besides its rows, as text, with the schema's own
# name replaced (definitions quote it: FKs, defaults, index definitions).
FINGERPRINT = text(
    r"""
    WITH n AS (SELECT oid, nspowner, nspacl FROM pg_namespace WHERE nspname = :schema),
    lines AS (
        SELECT concat_ws(
            '|', 'rel', c.relname, c.relkind::text, pg_get_userbyid(c.relowner), c.relacl::text,
            (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
                    || a.attnotnull::text || ' ' || a.attidentity::text || ' '
                    || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ',' ORDER BY a.attnum)
             FROM pg_attribute a
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
            (SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indexrelid = c.oid),
            (SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), ','
                               ORDER BY k.conname)
             FROM pg_constraint k WHERE k.conrelid = c.oid),
            (SELECT string_agg(t.tgname || ' ' || t.tgenabled::text, ',' ORDER BY t.tgname)
             FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
        ) AS line
        FROM pg_class c JOIN n ON c.relnamespace = n.oid
        UNION ALL
        SELECT 'fn|' || p.proname FROM pg_proc p JOIN n ON p.pronamespace = n.oid
        UNION ALL
        SELECT 'nsp|' || pg_get_userbyid(n.nspowner) || '|' || coalesce(n.nspacl::text, '') FROM n
    )
    SELECT md5(replace(coalesce(string_agg(line, E'\n' ORDER BY line), ''), :schema, '@'))
    FROM lines
    """
)
# Per relation, the lookups above go through the catalogs' own indexes (attrelid, indexrelid,
# conrelid, tgrelid). Postgres misjudges the row counts of catalog joins by a factor of ~100 and
# would JIT-compile this for a second, so the recycling transactions run with jit off.

FK_EDGES = text(
    """
    SELECT child.relname, parent.relname
    FROM pg_constraint k
    JOIN pg_class child ON child.oid = k.conrelid
    JOIN pg_class parent ON parent.oid = k.confrelid
    JOIN pg_namespace n ON n.oid = k.connamespace
    WHERE k.contype = 'f' AND n.nspname = :schema AND child.relnamespace = parent.relnamespace
    """
)
TABLES = text(
    "SELECT tablename FROM pg_tables WHERE schemaname = :schema AND tablename <> 'alembic_version'"
)
SEQUENCES = text("SELECT sequencename FROM pg_sequences WHERE schemaname = :schema")


@dataclass
class HeadShape:
    """What a schema fresh at head looks like: its fingerprint, and its tables children-first."""

    head: str
    fingerprint: str
    tables: list[str] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)


_shape: HeadShape | None = None
STATS = {"recycled": 0, "kept": 0}  # this process's counts, for a run's summary
REFERENCE = "t_00000000000000"  # never a real name: those are random


def _children_first(tables: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Tables ordered so each comes before the tables it references (a cycle keeps name order)."""
    refs = {t: set() for t in tables}
    for child, parent in edges:
        if child != parent and child in refs and parent in refs:
            refs[child].add(parent)
    referenced_by = {t: {c for c in tables if t in refs[c]} for t in tables}
    order, left = [], sorted(tables)
    while left:
        ready = [t for t in left if not (referenced_by[t] - set(order))] or left[:1]
        order.append(ready[0])
        left.remove(ready[0])
    return order


def head_shape(owner_engine, app_role: str) -> HeadShape:
    """Build the head schema once in a transaction that is rolled back, and read its shape."""
    global _shape
    head = tenant_head()
    if _shape is not None and _shape.head == head:
        return _shape
    with owner_engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.exec_driver_sql("SET LOCAL jit = off")
            create_tenant_schema(conn, REFERENCE, app_role)
            args = {"schema": REFERENCE}
            tables = list(conn.scalars(TABLES, args))
            _shape = HeadShape(
                head=head,
                fingerprint=conn.scalar(FINGERPRINT, args),
                tables=_children_first(tables, [tuple(r) for r in conn.execute(FK_EDGES, args)]),
                sequences=sorted(conn.scalars(SEQUENCES, args)),
            )
        finally:
            trans.rollback()
    return _shape


def _quoted(schema: str, name: str) -> str:
    return f'"{schema}"."{name}"'


def recycle_since(runtime, since) -> int:
    """Recycle the tenants created at or after ``since`` (see the module's docstring)."""
    from controlplane.provisioning.pool import app_role

    engine = runtime.owner_engine
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.id, t.schema_name FROM public.tenants t "
                "JOIN pg_namespace n ON n.nspname = t.schema_name "
                "WHERE t.created_at >= :since AND t.shard = :shard"
            ),
            {"since": since, "shard": DEFAULT_SHARD},
        ).all()
    if not rows:
        return 0
    shape = head_shape(engine, app_role(runtime))
    done = 0
    for tenant_id, schema in rows:
        done += _recycle_one(engine, shape, tenant_id, schema)
    STATS["recycled"] += done
    STATS["kept"] += len(rows) - done
    return done


def _recycle_one(engine, shape: HeadShape, tenant_id, schema: str) -> int:
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'; SET LOCAL jit = off")
            version = conn.scalar(text(f'SELECT version_num FROM "{schema}".alembic_version'))
            if version != shape.head or conn.scalar(FINGERPRINT, {"schema": schema}) != (
                shape.fingerprint
            ):
                trans.rollback()
                log.info("tenant %s not recycled: its schema is not the head schema", tenant_id)
                return 0
            conn.execute(text("DELETE FROM public.tenants WHERE id = :id"), {"id": tenant_id})
            with conn.connection.dbapi_connection.cursor() as cur:
                cur.execute(
                    "\n".join(f"DELETE FROM {_quoted(schema, t)};" for t in shape.tables)
                    + "\nSELECT "
                    + ", ".join(
                        f"setval('{_quoted(schema, s)}', 1, false)" for s in shape.sequences
                    )
                )
            conn.execute(
                text(
                    "INSERT INTO public.tenant_pool (schema_name, revision, created_at, claimed_at) "
                    "VALUES (:schema, :head, now(), NULL) ON CONFLICT (schema_name) DO UPDATE "
                    "SET revision = EXCLUDED.revision, created_at = now(), claimed_at = NULL"
                ),
                {"schema": schema, "head": shape.head},
            )
            trans.commit()
            return 1
        except DBAPIError as exc:
            trans.rollback()
            log.info("tenant %s not recycled: %s", tenant_id, exc.orig)
            return 0


# ``empty_pool``: recycled rows parked as claimed at this instant, and put back after the test.
PARKED_AT = "1970-01-01T00:00:00+00:00"


def park_pool(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE public.tenant_pool SET claimed_at = :at WHERE claimed_at IS NULL"),
            {"at": PARKED_AT},
        )


def unpark_pool(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE public.tenant_pool SET claimed_at = NULL WHERE claimed_at = :at"),
            {"at": PARKED_AT},
        )
