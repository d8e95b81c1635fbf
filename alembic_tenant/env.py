"""Tenant migrations, run once per tenant schema.

Online: the caller passes a fresh connection and the schema in ``config.attributes``; the run sets
``SET LOCAL search_path`` inside its own transaction (no translate map) and keeps
``alembic_version`` inside the tenant schema. Migrations here must be offline-safe: no reflection and
no data-dependent branches, because the cold provisioning path renders them with ``--sql``.
"""

import os

from sqlalchemy import create_engine

import tenantapp.models  # noqa: F401 - registers every tenant table
from alembic import context
from shared.db import TenantBase, sqlalchemy_url
from shared.tenancy import check_schema_name

config = context.config
target_metadata = TenantBase.metadata


def _schema() -> str:
    schema = config.attributes.get("schema") or context.get_x_argument(as_dictionary=True).get(
        "schema", "t_000000000000000000000000"
    )
    return check_schema_name(schema)


def _include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name == "alembic_version")


def run_offline() -> None:
    schema = _schema()
    unqualified = config.attributes.get("offline_unqualified", False)
    context.configure(
        url=sqlalchemy_url(os.environ.get("DATABASE_URL", "postgresql:///x")),
        target_metadata=target_metadata,
        literal_binds=True,
        version_table_schema=None if unqualified else schema,
        transactional_ddl=not unqualified,
        include_object=_include_object,
    )
    with context.begin_transaction():
        if not unqualified:
            context.execute(f'SET LOCAL search_path TO "{schema}"')
        context.run_migrations()


def run_online() -> None:
    conn = config.attributes.get("connection")
    if conn is None:
        url = os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"]
        engine = create_engine(sqlalchemy_url(url))
        with engine.begin() as own:
            _run(own)
        engine.dispose()
    else:
        _run(conn)


def _run(conn) -> None:
    schema = _schema()
    conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        version_table_schema=schema,
        include_object=_include_object,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
