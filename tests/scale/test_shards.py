"""Named shards in settings, tenant sessions routed to their shard, placement and the remote
signup saga with compensation."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from controlplane.provisioning import service as provisioning
from controlplane.shards.placement import choose_shard, pick_fewest, tenants_per_shard
from shared import db
from shared.runtime import Runtime
from shared.settings import Settings, SettingsError
from shared.tenancy import tenant_context
from tests.scale.conftest import schemas, tenant_row
from tests.support import PASSWORD, signup, unique_slug


def test_shards_setting_parses_name_url_pairs():
    s = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://app@h/main",
            "SHARDS": "east=postgresql://app@h/east, west=postgresql://app@h/west",
            "SHARD_OWNER_URLS": "east=postgresql://owner@h/east",
        }
    )
    shards = s.shard_map
    assert list(shards) == ["default", "east", "west"]
    assert shards["default"].url == "postgresql://app@h/main"
    assert shards["east"].owner_url == "postgresql://owner@h/east"
    assert shards["west"].owner_url == shards["west"].url  # like DATABASE_OWNER_URL
    assert shards["east"].app_role == "app"


@pytest.mark.parametrize(
    "environ",
    [
        {"SHARDS": "east"},
        {"SHARDS": "default=postgresql://app@h/x"},
        {"SHARDS": "east=postgresql://a@h/x,east=postgresql://a@h/y"},
        {"SHARDS": "East=postgresql://a@h/x"},
        {"SHARD_OWNER_URLS": "east=postgresql://o@h/x"},
        {"SHARD_PLACEMENT": "nowhere"},
    ],
)
def test_bad_shard_settings_are_refused(environ):
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_shard_database_holds_no_control_plane_tables(sharded_runtime):
    with sharded_runtime.shard_owner_engine("east").connect() as conn:
        public = conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).all()
        guard = conn.scalar(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'cp_guard'"
            )
        )
    assert public == []
    assert guard == 0


def test_signup_places_tenant_on_its_shard_and_requests_reach_it(sclient, sharded_runtime):
    rt = sharded_runtime
    tenant = signup(sclient)
    row = tenant_row(rt, tenant.slug)
    assert row.shard == "east"
    assert row.schema_name in schemas(rt.shard_owner_engine("east"))
    assert row.schema_name not in schemas(rt.owner_engine)
    resp = sclient.patch(
        tenant.url("/admin/settings"), json={"company_name": "East Co"}, headers=tenant.headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    got = sclient.get(tenant.url("/admin/settings"), headers=tenant.headers).get_json()
    assert got["company_name"] == "East Co"
    # The tenant session is bound to the shard's database.
    ref = rt.tenants.by_slug(tenant.slug)
    from shared.runtime import use_runtime

    with use_runtime(rt), tenant_context(ref):
        assert db.session().scalar(text("SELECT current_database()")) == rt.shard("east").database


def test_fewest_tenants_wins_and_a_tie_goes_to_the_shard_listed_first():
    names = ["default", "east", "west"]
    assert pick_fewest(names, {"default": 5, "east": 4, "west": 4}) == "east"
    assert pick_fewest(names, {"default": 4, "east": 4, "west": 4}) == "default"
    assert pick_fewest(names, {"default": 4, "east": 5, "west": 3}) == "west"
    assert pick_fewest(names, {"default": 1}) == "east"  # a shard with no row counts as 0


def test_fewest_placement_counts_live_tenants_per_shard(sharded_runtime, sclient):
    signup(sclient)  # pinned to east by the fixture's SHARD_PLACEMENT
    rt = Runtime(sharded_runtime.settings.replace(shard_placement="fewest"))
    try:
        with rt.engine.connect() as conn:
            counts = tenants_per_shard(conn)
        assert counts["east"] >= 1
        assert choose_shard(rt) == pick_fewest(["default", "east"], counts)
    finally:
        rt.dispose()


def test_pinned_placement_uses_the_named_shard(sharded_runtime):
    assert choose_shard(sharded_runtime) == "east"


@pytest.fixture()
def fail_at(monkeypatch):
    reached: list[str] = []

    def arm(step: str):
        def checkpoint(name: str) -> None:
            reached.append(name)
            if name == step:
                raise RuntimeError(f"injected failure at {name}")

        monkeypatch.setattr(provisioning, "checkpoint", checkpoint)
        return reached

    return arm


@pytest.mark.parametrize(
    ("step", "compensated"),
    [
        ("remote_schema", False),
        ("remote_seed", False),
        ("tenant_row", True),
        ("control_rows", True),
        ("commit", True),
    ],
)
def test_remote_signup_failure_leaves_nothing_on_either_side(
    sclient, sharded_runtime, fail_at, step, compensated
):
    rt = sharded_runtime
    before = schemas(rt.shard_owner_engine("east"))
    reached = fail_at(step)
    slug = unique_slug("saga")
    body = {
        "company_name": "Saga Co",
        "slug": slug,
        "email": f"saga-{uuid.uuid4().hex[:8]}@example.com",
        "password": PASSWORD,
    }
    resp = sclient.post("/v1/signup", json=body)
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.get_json()["code"] == "provisioning_failed"
    assert ("compensate" in reached) is compensated
    assert schemas(rt.shard_owner_engine("east")) == before
    assert tenant_row(rt, slug) is None
    # Nothing half-made blocks a retry with the same slug and e-mail.
    fail_at("no such step")
    assert sclient.post("/v1/signup", json=body).status_code == 201


def test_shards_command_lists_each_shard_with_its_tenant_count(sclient, cli):
    signup(sclient)
    out = cli("tenants", "shards")
    assert out.exit_code == 0, out.output
    rows = {line.split()[0]: line.split() for line in out.output.splitlines()}
    assert set(rows) == {"default", "east"}
    assert int(rows["east"][1]) >= 1
    assert rows["east"][2].endswith("_east")


def test_a_tenant_on_a_shard_this_process_does_not_know_gets_503(sharded_runtime, sclient, client):
    """The default runtime has no ``east`` URL: it fails closed for east tenants, not with a 500."""
    tenant = signup(sclient)
    resp = client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert resp.status_code == 503
    assert resp.get_json()["code"] == "shard_unavailable"
    assert sclient.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200
