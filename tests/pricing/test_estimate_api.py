"""``POST /estimate`` over HTTP: the worked examples of SPEC §5.2, the response shape and every
kind of refused input."""

from __future__ import annotations

import pytest

from tenantapp.pricing.config import DEFAULT_CONFIG, config_hash

MONEY_FIELDS = ("rate", "labor", "discount", "add_ons", "total_before_tax")


def post_estimate(client, tenant, body):
    return client.post(tenant.url("/estimate"), json=body)


def estimate_ok(client, tenant, body) -> dict:
    resp = post_estimate(client, tenant, body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def problem_fields(resp) -> set[str]:
    assert resp.status_code == 422, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["code"] == "validation_failed"
    assert resp.mimetype == "application/problem+json"
    return {e["field"] for e in body["errors"]}


def test_two_bed_one_bath_standard_is_one_cleaner_three_hours_105(client, tenant):
    out = estimate_ok(client, tenant, {"beds": 2, "baths": 1})
    assert out["team_size"] == 1
    assert out["cleaner_hours"] == 3.0
    assert out["time_on_site_hours"] == 3.0
    assert out["billed_cleaner_hours"] == 3.0
    assert out["labor"] == "105.00" and out["labor_cents"] == 10500
    assert out["total_before_tax"] == "105.00" and out["total_before_tax_cents"] == 10500


def test_response_shape_names_the_config_and_gives_money_twice(client, tenant):
    out = estimate_ok(client, tenant, {"beds": 2, "baths": 1})
    assert out["pricing_config_version"] == 1
    assert isinstance(out["pricing_config_id"], int)
    assert out["config_hash"] == config_hash(DEFAULT_CONFIG)
    assert out["currency"] == "CAD"
    assert out["rate"] == "35.00" and out["rate_cents"] == 3500
    for name in MONEY_FIELDS:
        assert isinstance(out[name], str) and isinstance(out[f"{name}_cents"], int)
        assert int(out[name].replace(".", "")) == out[f"{name}_cents"]
    for name in ("cleaner_hours", "time_on_site_hours", "billed_cleaner_hours"):
        assert isinstance(out[name], float)


def test_hours_are_serialised_as_exact_decimal_numbers(client, tenant):
    resp = post_estimate(client, tenant, {"beds": 6, "baths": 4, "service_type": "move_out"})
    text = resp.get_data(as_text=True)
    assert '"cleaner_hours":8.775' in text.replace(" ", "")
    assert '"billed_cleaner_hours":9.0' in text.replace(" ", "")


def test_weekly_two_bed_one_bath_is_94_50(client, tenant):
    out = estimate_ok(client, tenant, {"beds": 2, "baths": 1, "frequency": "weekly"})
    assert out["discount"] == "10.50"
    assert out["total_before_tax"] == "94.50" and out["total_before_tax_cents"] == 9450


def test_deep_with_heavy_grease_is_4_1_hours_then_4_5_on_site(client, tenant):
    out = estimate_ok(
        client, tenant, {"beds": 2, "baths": 1, "service_type": "deep", "heavy_grease": True}
    )
    assert out["cleaner_hours"] == 4.1
    assert out["team_size"] == 1
    assert out["time_on_site_hours"] == 4.5
    assert out["total_before_tax"] == "157.50"


def test_six_four_move_out_needs_a_team_of_three(client, tenant):
    out = estimate_ok(client, tenant, {"beds": 6, "baths": 4, "service_type": "move_out"})
    assert out["cleaner_hours"] == 8.775
    assert out["team_size"] == 3
    assert out["time_on_site_hours"] == 3.0
    assert out["billed_cleaner_hours"] == 9.0
    assert out["total_before_tax"] == "315.00" and out["total_before_tax_cents"] == 31500


def test_three_one_uses_the_three_two_row(client, tenant):
    out = estimate_ok(client, tenant, {"beds": 3, "baths": 1})
    assert out["cleaner_hours"] == 4.0
    assert out["labor"] == "140.00"


def test_biweekly_discount_on_122_50_rounds_half_up_to_6_13(client, tenant):
    out = estimate_ok(client, tenant, {"beds": 2, "baths": 2, "frequency": "biweekly"})
    assert out["labor"] == "122.50"
    assert out["discount"] == "6.13" and out["discount_cents"] == 613
    assert out["total_before_tax"] == "116.37"


def test_add_ons_are_added_after_the_discount(client, tenant):
    body = {
        "beds": 2,
        "baths": 1,
        "frequency": "weekly",
        "add_ons": {"oven": True, "fridge": False, "linen_beds": 2, "steam_sofa_3": 0},
    }
    out = estimate_ok(client, tenant, body)
    assert out["add_ons"] == "50.00" and out["add_ons_cents"] == 5000
    assert out["discount"] == "10.50"  # labour only
    assert out["total_before_tax"] == "144.50"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"beds": 2, "baths": 1, "pets": True}, "pets"),
        ({"beds": 2, "baths": 1, "add_ons": {"jacuzzi": True}}, "add_ons.jacuzzi"),
        ({"beds": 2, "baths": 1, "add_ons": {"oven": 1}}, "add_ons.oven"),
        ({"beds": 2, "baths": 1, "add_ons": {"linen_beds": True}}, "add_ons.linen_beds"),
        ({"beds": 2, "baths": 1, "add_ons": {"linen_beds": -1}}, "add_ons.linen_beds"),
        ({"beds": 2, "baths": 1, "add_ons": {"linen_beds": 1.5}}, "add_ons.linen_beds"),
        ({"beds": 2, "baths": 1, "add_ons": {"linen_beds": 1001}}, "add_ons.linen_beds"),
        ({"beds": 2, "baths": 1, "add_ons": ["oven"]}, "add_ons"),
        ({"beds": 2, "baths": 10.5}, "baths"),
        ({"beds": 2, "baths": 2.25}, "baths"),
        ({"beds": 2, "baths": -0.5}, "baths"),
        ({"beds": 2, "baths": "2"}, "baths"),
        ({"beds": 2, "baths": True}, "baths"),
        ({"beds": 11, "baths": 1}, "beds"),
        ({"beds": -1, "baths": 1}, "beds"),
        ({"beds": 2.5, "baths": 1}, "beds"),
        ({"beds": "2", "baths": 1}, "beds"),
        ({"beds": True, "baths": 1}, "beds"),
        ({"baths": 1}, "beds"),
        ({"beds": 2}, "baths"),
        ({"beds": 2, "baths": 1, "service_type": "spring"}, "service_type"),
        ({"beds": 2, "baths": 1, "frequency": "daily"}, "frequency"),
        ({"beds": 2, "baths": 1, "heavy_grease": "yes"}, "heavy_grease"),
        ({"beds": 2, "baths": 1, "multi_floor": 1}, "multi_floor"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, tenant, body, field):
    assert field in problem_fields(post_estimate(client, tenant, body))


def test_every_request_problem_is_listed_at_once(client, tenant):
    body = {"beds": 12, "baths": 2.25, "colour": "red", "frequency": "daily"}
    assert problem_fields(post_estimate(client, tenant, body)) == {
        "beds",
        "baths",
        "colour",
        "frequency",
    }


def test_every_add_on_problem_is_listed_at_once(client, tenant):
    body = {"beds": 1, "baths": 1, "add_ons": {"oven": 2, "linen_beds": True, "sauna": True}}
    fields = problem_fields(post_estimate(client, tenant, body))
    assert fields == {"add_ons.oven", "add_ons.linen_beds", "add_ons.sauna"}


def test_malformed_json_is_400(client, tenant):
    resp = client.post(
        tenant.url("/estimate"), data="{beds: 2", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400


def test_estimate_is_public_and_documented_so(client, tenant):
    assert post_estimate(client, tenant, {"beds": 1, "baths": 1}).status_code == 200
    spec = client.get(tenant.url("/openapi.json")).get_json()
    assert spec["paths"]["/estimate"]["post"]["security"] == []
    assert spec["paths"]["/admin/pricing"]["put"]["security"] == [{"staffToken": []}]


def test_unknown_workspace_is_404(client):
    resp = client.post("/t/no-such-co/v1/estimate", json={"beds": 1, "baths": 1})
    assert resp.status_code == 404
