"""Control-plane migrations: schema ``public``, version table ``public.alembic_version``."""

import os

from sqlalchemy import create_engine

import controlplane.models  # noqa: F401 - registers every control-plane table
from alembic import context
from shared.db import CPBase, sqlalchemy_url

config = context.config
target_metadata = CPBase.metadata


def _url() -> str:
    return sqlalchemy_url(
        os.environ.get("DATABASE_OWNER_URL") or os.environ.get("DATABASE_URL", "postgresql:///x")
    )


def run_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        version_table_schema="public",
        include_schemas=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    conn = config.attributes.get("connection")
    if conn is None:
        # Autogenerate against ``public`` by name: with ``public`` on the search_path Postgres
        # reflects it as the unnamed default schema and prints foreign keys without it, so every
        # ``MetaData(schema="public")`` table and key looked new. ``cp_guard`` is empty.
        options = {"options": "-c search_path=cp_guard"} if comparing() else {}
        engine = create_engine(_url(), connect_args=options)
        with engine.begin() as own:
            _run(own)
        engine.dispose()
    else:
        _run(conn)


def comparing() -> bool:
    """True for ``alembic revision --autogenerate`` and ``alembic check`` (or ``compare=True``
    in ``Config.attributes`` when called from code): runs that reflect, never run DDL."""
    opts = config.cmd_opts
    if opts is not None and hasattr(opts, "cmd"):
        return bool(getattr(opts, "autogenerate", False)) or opts.cmd[0].__name__ == "check"
    return bool(config.attributes.get("compare"))


# cp0011's trigram indexes for the operator console's search exist only where the server has
# pg_trgm, so they are not in the models; autogenerate must not propose dropping them.
OPTIONAL_INDEX_SUFFIX = "_trgm"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and reflected and (name or "").endswith(OPTIONAL_INDEX_SUFFIX))


def _run(conn) -> None:
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        version_table_schema="public",
        include_schemas=True,
        include_name=lambda name, type_, parent: type_ != "schema" or name == "public",
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
