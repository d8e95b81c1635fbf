"""``GET/PUT /admin/pricing``: the seeded default, validation listing every problem, versioning,
audit, tenant isolation, and the seed being identical on the cold and migrated paths."""

from __future__ import annotations

import copy

from sqlalchemy import text

from shared.migrations import upgrade_tenant
from shared.tenancy import new_schema_name, quoted_schema
from tenantapp.pricing.config import DEFAULT_CONFIG, canonical_json, config_hash
from tenantapp.seed import TenantSeed, seed_tenant


def get_pricing(client, tenant) -> dict:
    resp = client.get(tenant.url("/admin/pricing"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def put_pricing(client, tenant, config, **extra):
    body = {"config": config, **extra}
    return client.put(tenant.url("/admin/pricing"), json=body, headers=tenant.headers)


def cheaper_config() -> dict:
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    cfg["rate"] = "40.00"
    cfg["add_ons"]["flags"]["garage"] = 15
    return cfg


def test_new_tenant_has_the_default_config_as_version_one(client, tenant):
    body = get_pricing(client, tenant)
    assert body["version"] == 1
    assert body["config"] == DEFAULT_CONFIG
    assert body["config_hash"] == config_hash(DEFAULT_CONFIG)
    assert body["created_by"] is None


def test_config_hash_is_sha256_of_the_canonical_json_of_the_returned_config(client, tenant):
    import hashlib
    import json

    body = get_pricing(client, tenant)
    canonical = json.dumps(body["config"], sort_keys=True, separators=(",", ":"))
    assert canonical == canonical_json(body["config"])
    assert body["config_hash"] == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def test_put_bumps_the_version_and_the_estimate_uses_it(client, tenant):
    resp = put_pricing(client, tenant, cheaper_config())
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["version"] == 2
    assert body["config"]["rate"] == "40.00"
    assert body["config"]["add_ons"]["flags"]["garage"] == "15.00"  # normalised to money
    assert body["config_hash"] == config_hash(body["config"]) != config_hash(DEFAULT_CONFIG)
    assert get_pricing(client, tenant) == body

    est = client.post(
        tenant.url("/estimate"), json={"beds": 2, "baths": 1, "add_ons": {"garage": True}}
    )
    out = est.get_json()
    assert (out["pricing_config_version"], out["pricing_config_id"]) == (2, body["id"])
    assert out["config_hash"] == body["config_hash"]
    assert out["labor"] == "120.00" and out["total_before_tax"] == "135.00"


def test_put_is_audited(client, tenant):
    put_pricing(client, tenant, cheaper_config())
    entries = client.get(tenant.url("/admin/audit"), headers=tenant.headers).get_json()["items"]
    entry = next(e for e in entries if e["action"] == "pricing.update")
    assert entry["actor_type"] == "staff"
    assert entry["before"]["version"] == 1 and entry["after"]["version"] == 2
    assert entry["before"]["rate"] == "35.00" and entry["after"]["rate"] == "40.00"
    assert "base_hours" not in entry["after"]  # only what changed


def test_expected_version_guards_against_lost_updates(client, tenant):
    assert put_pricing(client, tenant, DEFAULT_CONFIG, expected_version=1).status_code == 200
    stale = put_pricing(client, tenant, cheaper_config(), expected_version=1)
    assert stale.status_code == 409 and stale.get_json()["code"] == "conflict"
    assert get_pricing(client, tenant)["version"] == 2


def test_put_lists_every_problem_at_once(client, tenant):
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    cfg["rate"] = "-1"
    cfg["currency"] = "cad"
    del cfg["multi_floor_hours"]
    cfg["surprise"] = True
    cfg["service_multipliers"]["spring"] = "2.0"
    cfg["team_size"]["thresholds"][1]["max_cleaner_hours"] = "4.0"
    cfg["team_size"]["otherwise"] = 2
    cfg["base_hours"][1] = {"beds": 1, "baths": 1, "hours": "3.0"}
    cfg["base_hours"][2]["hours"] = "0"
    cfg["base_hours"][3]["beds"] = 11
    cfg["heavy_grease_hours"]["by_beds"][1]["max_beds"] = 2
    cfg["frequency_discount_percent"]["weekly"] = 101
    cfg["add_ons"]["flags"]["oven"] = "30.001"
    cfg["add_ons"]["per_unit"]["Bad Name"] = "1.00"
    cfg["add_ons"]["per_unit"]["fridge"] = "5.00"
    resp = put_pricing(client, tenant, cfg)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert fields == {
        "config.rate",
        "config.currency",
        "config.multi_floor_hours",
        "config.surprise",
        "config.service_multipliers.spring",
        "config.team_size.thresholds.1",
        "config.team_size.otherwise",
        "config.base_hours.1",
        "config.base_hours.2.hours",
        "config.base_hours.3.beds",
        "config.heavy_grease_hours.by_beds.1.max_beds",
        "config.frequency_discount_percent.weekly",
        "config.add_ons.flags.oven",
        "config.add_ons.per_unit.Bad Name",
        "config.add_ons.per_unit.fridge",
    }
    assert get_pricing(client, tenant)["version"] == 1


def test_put_refuses_wrong_types_and_shapes(client, tenant):
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    cfg["rate"] = True
    cfg["team_size"] = []
    cfg["base_hours"] = []
    cfg["add_ons"]["flags"] = ["oven"]
    cfg["heavy_grease_hours"]["by_beds"][0]["hours"] = "1e3"
    resp = put_pricing(client, tenant, cfg)
    fields = {e["field"] for e in resp.get_json()["errors"]}
    assert fields == {
        "config.rate",
        "config.team_size",
        "config.base_hours",
        "config.add_ons.flags",
        "config.heavy_grease_hours.by_beds.0.hours",
    }


def test_put_needs_a_config_and_nothing_else(client, tenant):
    resp = client.put(tenant.url("/admin/pricing"), json={"rate": "1.00"}, headers=tenant.headers)
    assert resp.status_code == 422
    assert {e["field"] for e in resp.get_json()["errors"]} == {"config", "rate"}


def test_pricing_admin_needs_a_staff_token_of_this_tenant(client, tenant, other_tenant):
    assert client.get(tenant.url("/admin/pricing")).status_code == 401
    resp = client.put(tenant.url("/admin/pricing"), json={"config": DEFAULT_CONFIG})
    assert resp.status_code == 401
    wrong = client.get(tenant.url("/admin/pricing"), headers=other_tenant.headers)
    assert wrong.status_code == 403 and wrong.get_json()["code"] == "tenant_mismatch"


def test_a_new_price_in_one_tenant_leaves_the_other_alone(client, tenant, other_tenant):
    assert put_pricing(client, tenant, cheaper_config()).status_code == 200
    mine = client.post(tenant.url("/estimate"), json={"beds": 2, "baths": 1}).get_json()
    theirs = client.post(other_tenant.url("/estimate"), json={"beds": 2, "baths": 1}).get_json()
    assert mine["labor"] == "120.00" and mine["pricing_config_version"] == 2
    assert theirs["labor"] == "105.00" and theirs["pricing_config_version"] == 1
    assert theirs["config_hash"] == config_hash(DEFAULT_CONFIG)
    assert get_pricing(client, other_tenant)["version"] == 1
    refused = client.post(
        other_tenant.url("/estimate"), json={"beds": 2, "baths": 1, "add_ons": {"garage": True}}
    )
    assert refused.status_code == 422


def _pricing_rows(conn, schema: str) -> list:
    columns = "id, version, config, config_hash, created_by"
    table = f"{quoted_schema(schema)}.pricing_configs"
    rows = conn.execute(text(f"SELECT {columns} FROM {table} ORDER BY id"))
    return [tuple(r) for r in rows]


def test_seed_is_identical_on_the_cold_and_migrated_paths(rt, client, tenant):
    cold_schema = rt.tenants.by_slug(tenant.slug).schema_name
    migrated_schema = new_schema_name()
    owner = rt.owner_engine
    try:
        with owner.connect() as conn:
            with conn.begin():
                conn.exec_driver_sql(f"CREATE SCHEMA {quoted_schema(migrated_schema)}")
                upgrade_tenant(conn, migrated_schema)
                conn.exec_driver_sql(f"SET LOCAL search_path TO {quoted_schema(migrated_schema)}")
                seed_tenant(conn, TenantSeed("Migrated Cleaning"))
            with conn.begin():
                cold = _pricing_rows(conn, cold_schema)
                migrated = _pricing_rows(conn, migrated_schema)
        assert cold == migrated
        assert cold == [(1, 1, DEFAULT_CONFIG, config_hash(DEFAULT_CONFIG), None)]
    finally:
        with owner.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted_schema(migrated_schema)} CASCADE")


def test_concurrent_puts_each_get_their_own_version(wsgi_app, client, tenant):
    from concurrent.futures import ThreadPoolExecutor

    from tests.support import ApiClient

    def put(rate: int) -> int:
        cfg = copy.deepcopy(DEFAULT_CONFIG) | {"rate": f"{rate}.00"}
        resp = put_pricing(ApiClient(wsgi_app), tenant, cfg)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return resp.get_json()["version"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = sorted(pool.map(put, range(40, 52)))
    assert versions == list(range(2, 14))
    assert get_pricing(client, tenant)["version"] == 13


def test_warm_estimate_makes_no_sql_statement(rt, client, tenant):
    from sqlalchemy import event

    body = {"beds": 2, "baths": 1}
    assert client.post(tenant.url("/estimate"), json=body).status_code == 200
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        assert client.post(tenant.url("/estimate"), json=body).status_code == 200
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    assert statements == []


def test_a_version_saved_elsewhere_is_used_once_the_tenant_version_is_bumped(rt, client, tenant):
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.pricing.models import PricingConfig

    assert client.post(tenant.url("/estimate"), json={"beds": 2, "baths": 1}).status_code == 200
    cfg = cheaper_config() | {"add_ons": DEFAULT_CONFIG["add_ons"]}
    with tenant_context(rt.tenants.by_slug(tenant.slug)), db.transaction() as tx:
        tx.add(PricingConfig(version=2, config=cfg, config_hash=config_hash(cfg)))
    rt.tenants.bump(tenant.id)  # what another process's PUT does after committing
    out = client.post(tenant.url("/estimate"), json={"beds": 2, "baths": 1}).get_json()
    assert (out["pricing_config_version"], out["labor"]) == (2, "120.00")


def test_pricing_admin_needs_the_admin_permission(rt, client, tenant):
    from sqlalchemy import update

    from shared.models.accounts import Membership

    with rt.owner_engine.begin() as conn:
        conn.execute(
            update(Membership).where(Membership.tenant_id == tenant.id).values(role="viewer")
        )
    rt.tenants.bump(tenant.id)  # role changes bump the tenant version (session cache)
    resp = client.get(tenant.url("/admin/pricing"), headers=tenant.headers)
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
    assert put_pricing(client, tenant, cheaper_config()).status_code == 403
    assert client.post(tenant.url("/estimate"), json={"beds": 1, "baths": 1}).status_code == 200
