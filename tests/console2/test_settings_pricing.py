"""Settings → Pricing (issue #30 item 5): the whole config of ``/admin/pricing`` as a form, its
errors beside the nested inputs (rows mapped back after emptied ones, add-ons by name), money in
currency units as the API stores it, a lost update as the API's 409."""

from __future__ import annotations

import html
import re

from tests.console.helpers import console, csrf_of, post_form, signed_in
from tests.console2.test_settings_pages import api, error_of

_INPUT = re.compile(
    r'name="((?:config\.|expected_version)[^"]*)"(?: type="[a-z]+")? value="([^"]*)"'
)


def pricing_form(client, tenant) -> tuple[dict[str, str], str]:
    """Every input of the pricing page as the browser would send it, and the CSRF token."""
    page = client.get(console(tenant, "/settings/pricing"))
    assert page.status_code == 200
    return {k: html.unescape(v) for k, v in _INPUT.findall(page.text)}, csrf_of(page.text)


def save(client, tenant, changes: dict[str, str]):
    form, token = pricing_form(client, tenant)
    return post_form(client, console(tenant, "/settings/pricing"), form | changes, token=token)


def test_the_form_shows_the_config_and_saves_a_new_version(client, tenant):
    signed_in(client, tenant)
    form, _ = pricing_form(client, tenant)
    assert form["config.rate"] == "35.00" and form["config.currency"] == "CAD"
    assert (
        form["config.base_hours.0.hours"] == "2.5" and form["config.add_ons.flags.0.name"] == "oven"
    )
    assert form["config.base_hours.9.beds"] == ""  # the empty rows to add to
    assert form["expected_version"] == "1"
    before = api(client, tenant, "/admin/pricing")["config"]
    resp = save(
        client,
        tenant,
        {
            "config.rate": "42.5",
            "config.base_hours.9.beds": "7",
            "config.base_hours.9.baths": "4",
            "config.base_hours.9.hours": "7.5",
            "config.add_ons.flags.0.name": "",  # emptied: oven is gone
            "config.add_ons.flags.0.price": "",
        },
    )
    assert resp.status_code == 303, resp.text[:800]
    assert resp.headers["Location"].endswith("/settings/pricing?done=pricing")
    after = api(client, tenant, "/admin/pricing")
    assert after["version"] == 2
    config = after["config"]
    assert config["rate"] == "42.50"  # currency units, two places: what the API stores
    assert {"beds": 7, "baths": 4, "hours": "7.5"} in config["base_hours"]
    assert "oven" not in config["add_ons"]["flags"]
    unchanged = (
        "service_multipliers",
        "team_size",
        "heavy_grease_hours",
        "frequency_discount_percent",
    )
    assert all(config[k] == before[k] for k in unchanged)
    assert config["add_ons"]["per_unit"] == before["add_ons"]["per_unit"]
    assert "Pricing saved as a new version." in client.get(resp.headers["Location"]).text


def test_nested_errors_land_beside_their_inputs(client, tenant):
    signed_in(client, tenant)
    resp = save(
        client,
        tenant,
        {
            # Row 0 emptied: the API's base_hours.2 is the form's row 3.
            "config.base_hours.0.beds": "",
            "config.base_hours.0.baths": "",
            "config.base_hours.0.hours": "",
            "config.base_hours.3.hours": "0",
            "config.service_multipliers.deep": "0",
            "config.team_size.thresholds.1.size": "1",
            "config.add_ons.flags.1.price": "twenty",  # fridge, reported by name
            "config.add_ons.per_unit.0.name": "Linen Beds",
            "config.rate": "100000.01",
        },
    )
    assert resp.status_code == 422
    text = resp.text
    assert error_of(text, "s-config-base_hours-3-hours") == "Must be greater than 0."
    assert error_of(text, "s-config-base_hours-0-hours") == ""
    assert error_of(text, "s-config-service_multipliers-deep") == "Must be greater than 0."
    assert "Thresholds must rise in both max_cleaner_hours and size." in text
    assert (
        error_of(text, "s-config-add_ons-flags-1-price") == "Must be a non-negative decimal number."
    )
    assert error_of(text, "s-config-add_ons-per_unit-0-name").startswith("Names are 1-40")
    assert error_of(text, "s-config-rate") == "Must be at most 100000."
    assert 'value="twenty"' in text and 'value="Linen Beds"' in text  # what was typed stays
    assert api(client, tenant, "/admin/pricing")["version"] == 1


def test_a_change_made_meanwhile_is_a_409_message(client, tenant):
    signed_in(client, tenant)
    form, token = pricing_form(client, tenant)
    assert save(client, tenant, {"config.rate": "36"}).status_code == 303
    stale = post_form(client, console(tenant, "/settings/pricing"), form, token=token)
    assert stale.status_code == 409
    assert "The pricing config is at version 2, not 1." in stale.text
    assert api(client, tenant, "/admin/pricing")["config"]["rate"] == "36.00"


def test_an_add_on_listed_twice_is_refused_beside_the_second(client, tenant):
    signed_in(client, tenant)
    resp = save(client, tenant, {"config.add_ons.flags.1.name": "oven"})
    assert resp.status_code == 422
    assert error_of(resp.text, "s-config-add_ons-flags-1-name") == "This name is listed twice."
    assert api(client, tenant, "/admin/pricing")["version"] == 1


def test_the_rate_at_its_ceiling(client, tenant):
    signed_in(client, tenant)
    over = save(client, tenant, {"config.rate": "100000.01"})
    assert (
        over.status_code == 422
        and error_of(over.text, "s-config-rate") == "Must be at most 100000."
    )
    top = save(client, tenant, {"config.rate": "100000"})
    assert top.status_code == 303
    assert api(client, tenant, "/admin/pricing")["config"]["rate"] == "100000.00"
