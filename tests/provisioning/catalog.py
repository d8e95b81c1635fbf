"""A tenant schema's shape and seed rows, read from the catalogs with the schema name normalised.

Two schemas with equal fingerprints have the same tables, columns (types, defaults, nullability,
identity), indexes, constraints, sequences, privileges and seed rows (timestamps left out).
"""

from __future__ import annotations

from sqlalchemy import DateTime, select, text
from sqlalchemy.engine import Connection

import tenantapp.models  # noqa: F401 - registers every tenant table
from shared.db import TenantBase

SCHEMA = "<schema>"

CATALOG_QUERIES = {
    "relations": """
        SELECT c.relname, c.relkind, c.relpersistence, c.relrowsecurity,
               pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :s ORDER BY c.relname""",
    "columns": """
        SELECT table_name, column_name, ordinal_position, data_type, udt_name,
               character_maximum_length, numeric_precision, numeric_scale, datetime_precision,
               column_default, is_nullable, is_identity, identity_generation, identity_start,
               identity_increment, identity_maximum, identity_minimum, identity_cycle,
               is_generated, generation_expression, collation_name
        FROM information_schema.columns WHERE table_schema = :s
        ORDER BY table_name, ordinal_position""",
    "column_types": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid) AS default_expr
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = :s AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY c.relname, a.attnum""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = :s ORDER BY tablename, indexname""",
    "constraints": """
        SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid, true),
               k.condeferrable, k.condeferred, k.convalidated
        FROM pg_constraint k
        JOIN pg_namespace n ON n.oid = k.connamespace
        LEFT JOIN pg_class c ON c.oid = k.conrelid
        WHERE n.nspname = :s ORDER BY c.relname, k.conname""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by,
               cycle, cache_size, last_value
        FROM pg_sequences WHERE schemaname = :s ORDER BY sequencename""",
    "sequence_owners": """
        SELECT s.relname, t.relname, a.attname, d.deptype
        FROM pg_depend d
        JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        JOIN pg_namespace n ON n.oid = s.relnamespace
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE n.nspname = :s ORDER BY s.relname""",
    "triggers": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :s AND NOT t.tgisinternal ORDER BY c.relname, t.tgname""",
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = :s ORDER BY 1, 2""",
    "types": """
        SELECT t.typname, t.typtype FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = :s AND t.typtype NOT IN ('c', 'b') ORDER BY 1""",
    "schema_acl": """
        SELECT pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace WHERE nspname = :s""",
}


def _normalise(value, schema: str):
    if isinstance(value, str):
        return value.replace(f'"{schema}".', f"{SCHEMA}.").replace(f"{schema}.", f"{SCHEMA}.")
    return value


def catalog(conn: Connection, schema: str) -> dict[str, list[tuple]]:
    """The schema's objects from information_schema and pg_catalog, schema name normalised."""
    return {
        name: [
            tuple(_normalise(v, schema) for v in row)
            for row in conn.execute(text(query), {"s": schema})
        ]
        for name, query in CATALOG_QUERIES.items()
    }


def seed_rows(conn: Connection, schema: str) -> dict[str, list[tuple]]:
    """Every row of every tenant table (and the alembic stamp), timestamps left out."""
    out = {}
    tenant_conn = conn.execution_options(schema_translate_map={None: schema})
    for table in TenantBase.metadata.sorted_tables:
        cols = [c for c in table.columns if not isinstance(c.type, DateTime)]
        order = list(table.primary_key.columns) or cols
        rows = tenant_conn.execute(select(*cols).order_by(*order)).all()
        out[table.name] = [tuple(r) for r in rows]
    out["alembic_version"] = conn.execute(
        text(f'SELECT version_num FROM "{schema}".alembic_version')
    ).all()
    return out


def fingerprint(engine, schema: str) -> dict:
    """Catalog and seed rows of ``schema``, on a fresh connection (translate maps stick: §12)."""
    with engine.connect() as conn:
        return {"catalog": catalog(conn, schema), "rows": seed_rows(conn, schema)}
