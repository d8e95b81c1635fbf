"""Property tests: the service agrees with the independent ``Fraction`` reference on random
requests, with the default config and with random valid configs, and over HTTP."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantapp.pricing.config import (
    DEFAULT_CONFIG,
    FREQUENCIES,
    SERVICE_TYPES,
    config_hash,
    validate_config,
)
from tenantapp.pricing.estimator import EstimateRequest, PricingSnapshot, estimate
from tests.pricing.reference import assert_matches_reference, reference_estimate


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[str]:
    scale = 10**places
    return st.integers(int(Decimal(low) * scale), int(Decimal(high) * scale)).map(
        lambda n: str(Decimal(n) / scale)
    )


def add_ons_for(cfg: dict) -> st.SearchStrategy[dict]:
    flags = cfg["add_ons"]["flags"]
    per_unit = cfg["add_ons"]["per_unit"]
    return st.fixed_dictionaries(
        {},
        optional={
            **{name: st.booleans() for name in flags},
            **{name: st.integers(0, 1000) for name in per_unit},
        },
    )


def requests_for(cfg: dict) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "beds": st.integers(0, 10),
            "baths": st.integers(0, 20).map(lambda n: n / 2),
            "service_type": st.sampled_from(SERVICE_TYPES),
            "heavy_grease": st.booleans(),
            "multi_floor": st.booleans(),
            "frequency": st.sampled_from(FREQUENCIES),
            "add_ons": add_ons_for(cfg),
        }
    )


@st.composite
def configs(draw) -> dict:
    cells = draw(
        st.lists(
            st.tuples(st.integers(0, 10), st.integers(0, 10)), min_size=1, max_size=15, unique=True
        )
    )
    limits = sorted(draw(st.lists(decimals("0.01", "30", 2), max_size=3, unique=True)), key=Decimal)
    grease_beds = sorted(draw(st.lists(st.integers(0, 10), max_size=3, unique=True)))
    names = st.text("abcdefghij_", min_size=1, max_size=8).map(lambda s: "a" + s)
    flags = draw(st.dictionaries(names, decimals("0", "500", 2), max_size=4))
    per_unit = draw(
        st.dictionaries(names.filter(lambda n: n not in flags), decimals("0", "500", 2), max_size=4)
    )
    return validate_config(
        {
            "currency": "CAD",
            "rate": draw(decimals("0", "200", 2)),
            "minimum_cleaner_hours": draw(decimals("0", "6", 2)),
            "time_on_site_step_hours": draw(
                st.sampled_from(["0.25", "0.5", "1", "0.1", "0.33", "0.75"])
            ),
            "team_size": {
                "thresholds": [
                    {"max_cleaner_hours": limit, "size": i + 1} for i, limit in enumerate(limits)
                ],
                "otherwise": len(limits) + draw(st.integers(1, 3)),
            },
            "service_multipliers": {k: draw(decimals("0.001", "3", 3)) for k in SERVICE_TYPES},
            "heavy_grease_hours": {
                "by_beds": [
                    {"max_beds": b, "hours": draw(decimals("0", "3", 2))} for b in grease_beds
                ],
                "otherwise": draw(decimals("0", "3", 2)),
            },
            "multi_floor_hours": draw(decimals("0", "2", 2)),
            "frequency_discount_percent": {k: draw(decimals("0", "100", 2)) for k in FREQUENCIES},
            "base_hours": [
                {"beds": b, "baths": ba, "hours": draw(decimals("0.01", "20", 2))}
                for b, ba in cells
            ],
            "add_ons": {"flags": flags, "per_unit": per_unit},
        }
    )


def run_service(req: dict, cfg: dict) -> dict:
    pricing = PricingSnapshot(1, 1, config_hash(cfg), cfg)
    return estimate(EstimateRequest.from_dict(req), pricing).as_dict()


@settings(max_examples=400, deadline=None)
@given(requests_for(DEFAULT_CONFIG))
def test_default_config_matches_reference(req):
    assert_matches_reference(
        run_service(req, DEFAULT_CONFIG), reference_estimate(req, DEFAULT_CONFIG)
    )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_configs_match_reference(data):
    cfg = data.draw(configs())
    req = data.draw(requests_for(cfg))
    assert_matches_reference(run_service(req, cfg), reference_estimate(req, cfg))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(req=requests_for(DEFAULT_CONFIG))
def test_http_estimate_matches_reference(client, tenant, req):
    resp = client.post(tenant.url("/estimate"), json=req)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert_matches_reference(resp.get_json(), reference_estimate(req, DEFAULT_CONFIG))
