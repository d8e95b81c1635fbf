"""The SMS settings: own number (E.164, one workspace per number, released when cleared),
quiet hours as HH:MM, contact phone, an https review URL."""

import pytest

from tests.sms.conftest import tenant_number


@pytest.mark.parametrize(
    "body",
    [
        {"sms_from": "not a number"},
        {"sms_quiet_start": "9pm"},
        {"sms_quiet_end": "24:00"},
        {"sms_quiet_start": "7:00"},
        {"review_url": "http://example.com/review"},
        {"review_url": "javascript:alert(1)"},
        {"contact_phone": "12"},
        {"sms_segments": 5},
    ],
)
def test_bad_sms_settings_are_422(client, tenant, body):
    resp = client.patch(tenant.url("/admin/settings"), json=body, headers=tenant.headers)
    assert resp.status_code == 422, resp.get_json()


def test_sms_settings_round_trip_in_e164(client, tenant):
    body = {
        "sms_from": "(587) 555-0142",
        "sms_quiet_start": "22:30",
        "sms_quiet_end": "07:00",
        "contact_phone": "780 555 0100",
        "review_url": "https://g.page/r/x/review",
    }
    resp = client.patch(tenant.url("/admin/settings"), json=body, headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    got = client.get(tenant.url("/admin/settings"), headers=tenant.headers).get_json()
    assert (got["sms_from"], got["contact_phone"]) == ("+15875550142", "+17805550100")
    assert (got["sms_quiet_start"], got["sms_quiet_end"]) == ("22:30", "07:00")
    assert got["review_url"] == "https://g.page/r/x/review"


def test_a_released_number_can_be_taken_by_another_workspace(client, tenant, other_tenant):
    number = tenant_number()
    url, other = tenant.url("/admin/settings"), other_tenant.url("/admin/settings")
    assert client.patch(url, json={"sms_from": number}, headers=tenant.headers).status_code == 200
    taken = client.patch(other, json={"sms_from": number}, headers=other_tenant.headers)
    assert taken.status_code == 409
    assert client.patch(url, json={"sms_from": None}, headers=tenant.headers).status_code == 200
    now = client.patch(other, json={"sms_from": number}, headers=other_tenant.headers)
    assert now.status_code == 200
