"""Settings in the console (SPEC §5.14, issue #30 item 5): company, hours and blackouts,
pricing, taxes, branding and SMS through the API's schemas and services with their errors
beside the fields; admin only, as the API; another workspace's teams and blackouts are 404.
Members and invitations are in test_settings_members.py."""

from __future__ import annotations

import pytest

from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in

PAGES = ("", "/hours", "/pricing", "/taxes", "/branding", "/sms", "/members")


def api(client, tenant, path):
    resp = client.get(tenant.url(path), headers=tenant.headers)
    assert resp.status_code == 200, resp.text[:300]
    return resp.get_json()


def send(client, tenant, path, data, page=None):
    """POST ``data`` to a settings form with the CSRF token of the page it is on."""
    html = client.get(console(tenant, page if page is not None else f"/settings{path}")).text
    return post_form(client, console(tenant, f"/settings{path}"), data, token=csrf_of(html))


def error_of(html: str, input_id: str) -> str:
    marker = f'id="{input_id}-error" aria-live="polite">'
    assert marker in html, input_id
    return html.split(marker, 1)[1].split("</p>", 1)[0]


def test_every_section_renders_with_its_subnavigation(client, tenant):
    signed_in(client, tenant)
    for path in PAGES:
        page = client.get(console(tenant, f"/settings{path}"))
        assert page.status_code == 200, (path, page.text[:800])
        assert "Coming soon" not in page.text
        assert page.text.count('aria-current="page"') == 2, path  # Settings + its section
        assert '/console/settings/billing">Plan and billing</a>' in page.text


@pytest.mark.parametrize("role", ["viewer", "dispatcher", "finance"])
def test_only_admins_see_or_change_settings(client, runtime, tenant, role):
    token = signed_in(client, tenant, add_member(runtime, tenant, role))
    for path in PAGES:
        page = client.get(console(tenant, f"/settings{path}"))
        if role == "finance" and path == "":  # Settings in the navigation: their billing page
            assert page.status_code == 303
            assert page.headers["Location"].endswith("/console/settings/billing")
            continue
        assert page.status_code == 403 and "admin permission" in page.text, path
    for path, data in (
        ("", {"company_name": "Taken over"}),
        ("/taxes", {"tax_rates.0.code": "GST", "tax_rates.0.name": "GST", "tax_rates.0.rate": "5"}),
        ("/pricing", {"config.rate": "1.00"}),
        ("/sms", {"sms_quiet_start": "20:00"}),
        ("/blackouts", {"starts_at": "2030-01-01T09:00", "ends_at": "2030-01-01T10:00"}),
    ):
        resp = post_form(client, console(tenant, f"/settings{path}"), data, token=token)
        assert resp.status_code == 403, path
    settings = api(client, tenant, "/admin/settings")
    assert settings["company_name"] != "Taken over" and settings["tax_rates"] == []
    assert api(client, tenant, "/admin/pricing")["version"] == 1


def test_company_details_are_saved_and_errors_go_beside_fields(client, tenant):
    signed_in(client, tenant)
    bad = send(
        client,
        tenant,
        "",
        {
            "company_name": "",
            "contact_email": "not-mail",
            "contact_phone": "",
            "time_zone": "Mars/Olympus",
            "country": "CA",
        },
    )
    assert bad.status_code == 422
    assert error_of(bad.text, "f-company_name") == "Length must be between 1 and 200."
    assert error_of(bad.text, "f-contact_email") == "Not a valid email address."
    assert 'value="Mars/Olympus"' in bad.text  # what was typed stays
    ok = send(
        client,
        tenant,
        "",
        {
            "company_name": "Sparkle & Co",
            "contact_email": "office@example.com",
            "contact_phone": "(403) 555-0142",
            "time_zone": "America/Toronto",
            "country": "CA",
        },
    )
    assert ok.status_code == 303 and ok.headers["Location"].endswith("/settings?done=company")
    settings = api(client, tenant, "/admin/settings")
    assert settings["company_name"] == "Sparkle & Co"
    assert (
        settings["contact_phone"] == "+14035550142" and settings["time_zone"] == "America/Toronto"
    )
    page = client.get(ok.headers["Location"])
    assert "Company details saved." in page.text and "CAD" in page.text
    cleared = send(
        client,
        tenant,
        "",
        {
            "company_name": "Sparkle & Co",
            "contact_email": "",
            "contact_phone": "",
            "time_zone": "America/Toronto",
            "country": "CA",
        },
    )
    assert cleared.status_code == 303
    assert api(client, tenant, "/admin/settings")["contact_email"] is None


def _tax_form(rows, **extra):
    data = dict(extra)
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"tax_rates.{i}.{key}"] = value
    return data


def test_a_tax_rate_at_its_boundary(client, tenant):
    signed_in(client, tenant)
    row = {"code": "GST", "name": "GST", "active": "1", "applies_to_add_ons": "1"}
    over = send(client, tenant, "/taxes", _tax_form([row | {"rate": "30.001"}]))
    assert over.status_code == 422
    assert error_of(over.text, "tax-0-rate").startswith(
        "Must be greater than or equal to 0 and less than or equal to 30"
    )
    places = send(client, tenant, "/taxes", _tax_form([row | {"rate": "5.0001"}]))
    assert error_of(places.text, "tax-0-rate") == "At most three decimal places."
    top = send(client, tenant, "/taxes", _tax_form([row | {"rate": "30"}], tax_number="123 RT"))
    assert top.status_code == 303, top.text[:500]
    saved = api(client, tenant, "/admin/settings")
    assert saved["tax_rates"][0]["rate"] == "30.000" and saved["tax_number"] == "123 RT"
    assert saved["prices_include_tax"] is False


def test_tax_rates_change_add_and_remove_with_errors_on_the_right_row(client, tenant):
    signed_in(client, tenant)
    gst = {"code": "GST", "name": "GST", "rate": "5", "active": "1", "applies_to_add_ons": "1"}
    pst = {"code": "PST", "name": "PST", "rate": "7", "active": "1"}
    assert send(client, tenant, "/taxes", _tax_form([gst, pst])).status_code == 303
    rates = api(client, tenant, "/admin/settings")["tax_rates"]
    assert [(r["code"], r["rate"], r["applies_to_add_ons"]) for r in rates] == [
        ("GST", "5.000", True),
        ("PST", "7.000", False),
    ]
    page = client.get(console(tenant, "/settings/taxes"))
    assert 'name="tax_rates.2.code" type="text" value=""' in page.text  # the empty row to add
    # Row 0 removed, so the API's tax_rates.0 is the form's row 1: its error lands there.
    bad = send(
        client,
        tenant,
        "/taxes",
        _tax_form([gst | {"remove": "1"}, pst | {"rate": "31"}]),
    )
    assert bad.status_code == 422 and "Must be greater" in error_of(bad.text, "tax-1-rate")
    assert error_of(bad.text, "tax-0-rate") == ""
    dupes = send(client, tenant, "/taxes", _tax_form([gst, gst | {"code": "gst"}]))
    assert dupes.status_code == 422 and "Tax rate codes must be unique." in dupes.text
    done = send(
        client,
        tenant,
        "/taxes",
        _tax_form([gst | {"remove": "1"}, pst | {"rate": "7.5"}], prices_include_tax="1"),
    )
    assert done.status_code == 303
    saved = api(client, tenant, "/admin/settings")
    assert [(r["code"], r["rate"]) for r in saved["tax_rates"]] == [("PST", "7.500")]
    assert saved["prices_include_tax"] is True


def test_at_most_four_active_tax_rates(client, tenant):
    signed_in(client, tenant)
    rows = [{"code": f"T{n}", "name": f"Tax {n}", "rate": "1", "active": "1"} for n in range(5)]
    five = send(client, tenant, "/taxes", _tax_form(rows))
    assert five.status_code == 422 and "At most 4 active tax rates." in five.text
    rows[4].pop("active")  # the fifth kept, inactive
    four = send(client, tenant, "/taxes", _tax_form(rows))
    assert four.status_code == 303
    rates = api(client, tenant, "/admin/settings")["tax_rates"]
    assert [r["active"] for r in rates] == [True, True, True, True, False]


def test_an_unknown_done_notice_is_ignored(client, tenant):
    signed_in(client, tenant)
    page = client.get(console(tenant, "/settings/taxes?done=nothing_like_it"))
    assert page.status_code == 200 and 'class="notice ok"' not in page.text
    saved = client.get(console(tenant, "/settings/taxes?done=taxes"))
    assert "Tax settings saved." in saved.text
