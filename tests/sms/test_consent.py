"""Consent (SPEC §5.12): the customer's opt-in (``customers.sms_opt_in``) and the number's own
word: STOP wins until START; both are written back on the customer with source and time."""

from sqlalchemy import update

from shared import db
from shared.tenancy import tenant_context
from tenantapp.customers.models import Customer
from tenantapp.sms import consent
from tests.sms.conftest import customer_for, deliver, inbound, new_number, set_sms_from


def set_opt_in(rt, tenant, customer_id, value=True, source="booking_form"):
    with tenant_context(rt.tenants.by_id(tenant.id)):
        with db.transaction() as tx:
            tx.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(sms_opt_in=value, sms_opt_in_source=source)
            )
        db.close_session()


def customer_row(rt, tenant, customer_id) -> Customer:
    with tenant_context(rt.tenants.by_id(tenant.id)):
        sess = db.session()
        row = sess.get(Customer, customer_id)
        sess.expunge(row)
        db.close_session()
        return row


def reply(client, tenant, customer_id, body="Hello"):
    return client.post(
        tenant.url(f"/admin/customers/{customer_id}/messages"),
        json={"body": body},
        headers=tenant.headers,
    )


def test_an_opted_in_customer_is_texted_and_stop_withdraws_it(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    phone = new_number()
    customer_id = customer_for(client, tenant, phone)
    assert reply(client, tenant, customer_id).status_code == 409  # never opted in
    set_opt_in(rt, tenant, customer_id)
    assert reply(client, tenant, customer_id).status_code == 201
    deliver(rt, tenant)
    assert [s.to for s in twilio.sent] == [phone]
    inbound(client, number, phone, "Stop")
    row = customer_row(rt, tenant, customer_id)
    assert (row.sms_opt_in, row.sms_opt_in_source) == (False, "sms_stop")
    assert row.sms_opt_in_at is not None
    # Staff turning the opt-in back on does not override the number's STOP.
    set_opt_in(rt, tenant, customer_id, source="staff")
    resp = reply(client, tenant, customer_id)
    assert resp.status_code == 409 and resp.get_json()["code"] == "opted_out"
    inbound(client, number, phone, "START")
    row = customer_row(rt, tenant, customer_id)
    assert (row.sms_opt_in, row.sms_opt_in_source) == (True, "sms_start")
    assert reply(client, tenant, customer_id).status_code == 201


def test_a_customer_without_a_phone_cannot_be_texted(client, rt, tenant):
    set_sms_from(client, tenant)
    customer_id = customer_for(client, tenant)
    set_opt_in(rt, tenant, customer_id)
    with tenant_context(rt.tenants.by_id(tenant.id)):
        with db.transaction() as tx:
            tx.execute(update(Customer).where(Customer.id == customer_id).values(phone=None))
        db.close_session()
    resp = reply(client, tenant, customer_id)
    assert resp.status_code == 409 and resp.get_json()["code"] == "opted_out"
    assert (
        client.post(
            tenant.url("/admin/customers/999999/messages"),
            json={"body": "x"},
            headers=tenant.headers,
        ).status_code
        == 404
    )


def _set_country(client, tenant, country):
    resp = client.patch(
        tenant.url("/admin/settings"), json={"country": country}, headers=tenant.headers
    )
    assert resp.status_code == 200 and resp.get_json()["country"] == country


def _consent_e164(rt, tenant, raw):
    with tenant_context(rt.tenants.by_id(tenant.id)):
        try:
            return consent.e164(raw)
        finally:
            db.close_session()


def test_a_national_number_is_read_in_the_workspace_country(client, rt, tenant, other_tenant):
    """The tenant's ``country`` setting (the customers' rule), not a fixed "CA": the same
    national digits are a New Jersey number in a US workspace and a London one in a GB one."""
    _set_country(client, tenant, "US")
    _set_country(client, other_tenant, "GB")
    assert _consent_e164(rt, tenant, "(201) 555-0123") == "+12015550123"
    assert _consent_e164(rt, other_tenant, "(201) 555-0123") == "+442015550123"
    # A UK national number is no number in the US workspace, a valid one in the GB workspace.
    assert _consent_e164(rt, tenant, "020 7946 0018") is None
    assert _consent_e164(rt, other_tenant, "020 7946 0018") == "+442079460018"
    # Written with its country code, a number is the same everywhere.
    assert _consent_e164(rt, tenant, "+44 20 7946 0018") == "+442079460018"
    # Outside a tenant (the control plane's webhooks) only international numbers parse.
    assert consent.e164("+1 201 555 0123") == "+12015550123"
    assert consent.e164("(201) 555-0123") is None


def test_a_gb_customer_stored_in_national_form_is_texted_in_e164(client, rt, other_tenant, twilio):
    """A customer row holding a national number (an older import) is texted at the number the
    workspace's country gives it."""
    _set_country(client, other_tenant, "GB")
    set_sms_from(client, other_tenant)
    customer_id = customer_for(client, other_tenant, "+442079460018")
    with tenant_context(rt.tenants.by_id(other_tenant.id)):
        with db.transaction() as tx:
            tx.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(phone="020 7946 0018", sms_opt_in=True, sms_opt_in_source="staff")
            )
        db.close_session()
    assert reply(client, other_tenant, customer_id).status_code == 201
    deliver(rt, other_tenant)
    assert [s.to for s in twilio.sent] == ["+442079460018"]
