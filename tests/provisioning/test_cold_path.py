"""The cold path: head DDL rendered once per head, applied in one transaction with its stamp."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from controlplane.provisioning.pool import app_role
from shared import migrations
from shared.migrations import PLACEHOLDER_SCHEMA, create_tenant_schema, head_ddl, tenant_head
from shared.tenancy import new_schema_name
from tests.provisioning.conftest import tenant_schemas


def test_head_ddl_is_one_unqualified_script_with_its_own_stamp():
    ddl = head_ddl()
    assert not re.search(r"^\s*(BEGIN|COMMIT)\b", ddl, re.IGNORECASE | re.MULTILINE)
    assert "search_path" not in ddl.lower()
    assert PLACEHOLDER_SCHEMA not in ddl
    assert re.search(r"CREATE TABLE alembic_version\b", ddl)
    # one revision renders an INSERT of head; later ones each UPDATE the stamp, the last to head
    stamps = re.findall(
        r"alembic_version(?: \(version_num\) VALUES \(| SET version_num=)'([^']+)'", ddl
    )
    assert stamps and stamps[-1] == tenant_head()
    assert ddl.rstrip().endswith(";")


def test_head_ddl_is_rendered_once_per_head(monkeypatch):
    first = head_ddl()
    hits = migrations._rendered_ddl.cache_info().hits
    assert head_ddl() is first
    assert migrations._rendered_ddl.cache_info().hits == hits + 1
    monkeypatch.setattr(migrations, "tenant_head", lambda: "t_unknown_head")
    with pytest.raises(Exception, match="t_unknown_head"):
        head_ddl()


def test_cold_schema_is_stamped_at_head_and_usable_by_the_app_role(rt):
    schema = new_schema_name()
    with rt.owner_engine.begin() as conn:
        create_tenant_schema(conn, schema, app_role(rt))
        # The owner connection's search path is back to public inside the same transaction.
        assert conn.scalar(text("SHOW search_path")) == "public"
    with rt.engine.connect() as conn:
        assert conn.scalar(text(f'SELECT version_num FROM "{schema}".alembic_version')) == (
            tenant_head()
        )
        conn.execute(text(f"INSERT INTO \"{schema}\".teams (name) VALUES ('x')"))


def test_cold_schema_is_all_or_nothing(rt, monkeypatch):
    """A broken script leaves no schema: the DDL runs inside the caller's transaction."""
    bad = head_ddl() + "\nCREATE TABLE teams (id int);\n"
    monkeypatch.setattr(migrations, "head_ddl", lambda: bad)
    before = tenant_schemas(rt.engine)
    with pytest.raises(Exception, match="already exists"), rt.owner_engine.begin() as conn:
        create_tenant_schema(conn, new_schema_name(), app_role(rt))
    assert tenant_schemas(rt.engine) == before


def test_percent_signs_in_the_ddl_are_sent_verbatim(rt, monkeypatch):
    extra = "CREATE TABLE pct (v text CHECK (v LIKE '%@%'), w text DEFAULT '100%');\n"
    original = migrations.head_ddl
    monkeypatch.setattr(migrations, "head_ddl", lambda: original() + extra)
    schema = new_schema_name()
    with rt.owner_engine.connect() as conn:
        create_tenant_schema(conn, schema, None)
        default = conn.scalar(
            text(
                "SELECT column_default FROM information_schema.columns "
                "WHERE table_schema = :s AND table_name = 'pct' AND column_name = 'w'"
            ),
            {"s": schema},
        )
        assert default.startswith("'100%'")
    assert schema not in tenant_schemas(rt.engine)  # never committed
