"""Alembic hygiene: one head per track; the tenant track renders offline."""

import io

from alembic.script import ScriptDirectory

from alembic import command
from shared.migrations import alembic_config, head_ddl


def test_each_track_has_exactly_one_head():
    for track in ("public", "tenant"):
        heads = ScriptDirectory.from_config(alembic_config(track)).get_heads()
        assert len(heads) == 1, (track, heads)


def test_tenant_track_renders_base_to_head_as_sql():
    cfg = alembic_config("tenant")
    buf = io.StringIO()
    cfg.output_buffer = buf
    cfg.attributes["schema"] = "t_0123456789abcdef01234567"
    command.upgrade(cfg, "base:head", sql=True)
    sql = buf.getvalue()
    assert 'SET LOCAL search_path TO "t_0123456789abcdef01234567"' in sql
    assert "CREATE TABLE settings" in sql and "CREATE TABLE audit_log" in sql
    assert "t_0123456789abcdef01234567.alembic_version" in sql


def test_cold_path_ddl_is_unqualified_and_stamps_the_version():
    ddl = head_ddl()
    assert "BEGIN;" not in ddl and "COMMIT;" not in ddl
    assert "CREATE TABLE alembic_version" in ddl
    assert "INSERT INTO alembic_version" in ddl
    assert "t_0" not in ddl
    assert "CONCURRENTLY" not in ddl.upper()
