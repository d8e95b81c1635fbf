"""Tax and invoice settings in /admin/settings (SPEC §5.1, §5.11), at their boundaries."""

import pytest

from tests.invoices.helpers import GST


def _rate(code, **kw):
    return {"code": code, "name": code, "rate": "5.000", **kw}


def _patch(client, tenant, **values):
    return client.patch(tenant.url("/admin/settings"), json=values, headers=tenant.headers)


def test_defaults(client, tenant):
    got = client.get(tenant.url("/admin/settings"), headers=tenant.headers).get_json()
    assert got["tax_rates"] == [] and got["prices_include_tax"] is False
    assert (got["invoice_prefix"], got["invoice_due_days"], got["invoice_on_complete"]) == (
        "INV-",
        0,
        "issue",
    )
    assert got["accounting_revenue_account"] == "200" and got["tax_number"] is None


def test_four_active_rates_are_allowed_five_are_not(client, tenant):
    four = [_rate(c) for c in ("GST", "PST", "HST", "QST")]
    ok = _patch(client, tenant, tax_rates=four)
    assert ok.status_code == 200
    assert ok.get_json()["tax_rates"][0] == {
        "code": "GST",
        "name": "GST",
        "rate": "5.000",
        "applies_to_add_ons": True,
        "active": True,
        "registration_number": None,
        "accounting_code": None,
    }
    resp = _patch(client, tenant, tax_rates=[*four, _rate("CITY")])
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "tax_rates"
    assert _patch(client, tenant, tax_rates=[*four, _rate("OLD", active=False)]).status_code == 200


@pytest.mark.parametrize(
    ("rate", "status"),
    [
        ("0", 200),
        ("30", 200),
        ("30.000", 200),
        ("30.001", 422),
        ("-0.001", 422),
        ("9.975", 200),
        ("9.9751", 422),
        ("abc", 422),
        ("NaN", 422),
    ],
)
def test_rate_is_a_percent_from_0_to_30_with_three_places(client, tenant, rate, status):
    assert _patch(client, tenant, tax_rates=[_rate("GST", rate=rate)]).status_code == status


def test_rates_are_stored_with_three_places(client, tenant):
    got = _patch(client, tenant, tax_rates=[_rate("QST", rate="9.975"), _rate("GST", rate=5)])
    assert [r["rate"] for r in got.get_json()["tax_rates"]] == ["9.975", "5.000"]


def test_duplicate_codes_and_unknown_keys_are_422(client, tenant):
    assert _patch(client, tenant, tax_rates=[GST, {**GST, "rate": "7"}]).status_code == 422
    assert _patch(client, tenant, tax_rates=[{**GST, "colour": "red"}]).status_code == 422


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"invoice_due_days": 0}, 200),
        ({"invoice_due_days": 365}, 200),
        ({"invoice_due_days": 366}, 422),
        ({"invoice_due_days": -1}, 422),
        ({"invoice_on_complete": "draft"}, 200),
        ({"invoice_on_complete": "later"}, 422),
        ({"invoice_prefix": "AC-"}, 200),
        ({"invoice_prefix": "CN-"}, 422),
        ({"invoice_prefix": "TOO-LONG-PREFIX"}, 422),
        ({"invoice_prefix": ""}, 422),
        ({"prices_include_tax": True}, 200),
        ({"accounting_revenue_account": ""}, 422),
        ({"invoice_footer": "x" * 2001}, 422),
    ],
)
def test_invoice_settings_boundaries(client, tenant, values, status):
    assert _patch(client, tenant, **values).status_code == status
