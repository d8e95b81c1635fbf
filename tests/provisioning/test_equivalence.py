"""The warm pool, the cold path and alembic from zero give identical schemas and seed rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import tenantapp.models  # noqa: F401
from controlplane.provisioning.pool import app_role, refill_pool
from controlplane.provisioning.service import (
    NewTenant,
    migrate_schema,
    provision,
    seed_schema,
)
from shared.db import TenantBase
from shared.migrations import create_tenant_schema
from shared.models.tenants import Tenant
from shared.tenancy import new_schema_name
from tests.provisioning.catalog import fingerprint
from tests.provisioning.conftest import unclaimed_pool
from tests.support import unique_slug

SPEC = dict(
    company_name="Equal Cleaning",
    time_zone="Europe/Paris",
    contact_email="eq@example.com",
    actor="test",
)


def _provisioned_schema(rt) -> str:
    spec = NewTenant(slug=unique_slug("eq"), **SPEC)
    with rt.owner_engine.begin() as conn:
        tenant_id = provision(conn, rt, spec)
        return conn.scalar(select(Tenant.schema_name).where(Tenant.id == tenant_id))


@pytest.fixture()
def three_schemas(empty_pool):
    rt = empty_pool
    refill_pool(rt, 1)
    (pooled,) = unclaimed_pool(rt.engine)
    warm = _provisioned_schema(rt)
    assert warm == pooled, "the warm path must use the pool schema"
    cold = _provisioned_schema(rt)
    assert cold != pooled
    migrated = new_schema_name()
    with rt.owner_engine.begin() as conn:
        migrate_schema(conn, migrated, app_role(rt))
        seed_schema(conn, migrated, NewTenant(slug="x", **SPEC).seed)
    return warm, cold, migrated


def test_warm_cold_and_migrated_schemas_are_identical(rt, three_schemas):
    warm, cold, migrated = (fingerprint(rt.owner_engine, s) for s in three_schemas)
    expected_tables = {t.name for t in TenantBase.metadata.sorted_tables} | {"alembic_version"}
    relations = {row[0] for row in warm["catalog"]["relations"] if row[1] == "r"}
    assert relations == expected_tables
    assert warm["catalog"]["indexes"] and warm["catalog"]["constraints"]
    assert warm["rows"]["settings"] and warm["rows"]["teams"]
    for section in warm["catalog"]:
        assert cold["catalog"][section] == warm["catalog"][section], section
        assert migrated["catalog"][section] == warm["catalog"][section], section
    assert cold["rows"] == warm["rows"]
    assert migrated["rows"] == warm["rows"]


def _seeded_cold_schema(rt) -> str:
    """A schema made by the cold path (the head DDL) and seeded: the cheapest way to a schema
    that ``test_warm_cold_and_migrated_schemas_are_identical`` shows equal to the others."""
    schema = new_schema_name()
    with rt.owner_engine.begin() as conn:
        create_tenant_schema(conn, schema, app_role(rt))
        seed_schema(conn, schema, NewTenant(slug="x", **SPEC).seed)
    return schema


@pytest.fixture(scope="module")
def reference(runtime):
    """One untouched schema's fingerprint, shared by the cases below."""
    return fingerprint(runtime.owner_engine, _seeded_cold_schema(runtime))


def test_an_untouched_schema_matches_the_reference(rt, reference):
    assert fingerprint(rt.owner_engine, _seeded_cold_schema(rt)) == reference


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE {s}.teams ALTER COLUMN active SET DEFAULT false",
        "ALTER TABLE {s}.teams ALTER COLUMN name TYPE varchar(101)",
        "ALTER TABLE {s}.teams ALTER COLUMN active DROP NOT NULL",
        "DROP INDEX {s}.ix_audit_log_at_id",
        "CREATE INDEX ix_extra ON {s}.teams (name, id)",
        "ALTER TABLE {s}.settings DROP CONSTRAINT ck_settings_referral_credit",
        "CREATE SEQUENCE {s}.extra_seq",
        "REVOKE SELECT ON {s}.teams FROM cleanplane_app",
        "UPDATE {s}.teams SET name = 'Team B'",
        "INSERT INTO {s}.teams (name) VALUES ('Second')",
    ],
)
def test_fingerprint_notices_a_difference(rt, reference, change):
    schema = _seeded_cold_schema(rt)
    with rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(change.format(s=f'"{schema}"'))
    assert fingerprint(rt.owner_engine, schema) != reference


def test_seed_rows_ignore_only_timestamps(rt):
    """Same seed, different days: equal; different company name: not equal."""
    schemas = []
    with rt.owner_engine.begin() as conn:
        for name in ("A Co", "A Co", "B Co"):
            schema = new_schema_name()
            create_tenant_schema(conn, schema, app_role(rt))
            spec = NewTenant(slug="x", **{**SPEC, "company_name": name})
            seed_schema(conn, schema, spec.seed)
            schemas.append(schema)
        conn.exec_driver_sql(
            f"UPDATE \"{schemas[1]}\".teams SET created_at = now() - interval '3 days'"
        )
    a1, a2, b = (fingerprint(rt.owner_engine, s)["rows"] for s in schemas)
    assert a1 == a2
    assert a1 != b
