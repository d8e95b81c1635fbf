"""A data-deletion request removes the person's SMS thread and queued texts, the staff
e-mails quoting them and their review comment; the export bundle lists them (SPEC §5.8)."""

from tests.sms.conftest import (
    deliver,
    inbound,
    outbox_rows,
    set_sms_from,
    sms_rows,
    texting_customer,
)


def test_deletion_removes_the_thread_and_queued_texts(client, rt, tenant):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    keep_id, keep_phone = texting_customer(client, tenant, number)
    for cid in (customer_id, keep_id):
        resp = client.post(
            tenant.url(f"/admin/customers/{cid}/messages"),
            json={"body": "Queued"},
            headers=tenant.headers,
        )
        assert resp.status_code == 201
    inbound(client, number, phone, "My alarm code is 1234")
    inbound(client, number, keep_phone, "See you tomorrow")
    export = client.post(
        tenant.url("/admin/data/export"), json={"customer_id": customer_id}, headers=tenant.headers
    )
    assert export.status_code == 200
    bodies = [m["body"] for m in export.get_json()["messages"]]
    assert "My alarm code is 1234" in bodies
    resp = client.post(
        tenant.url("/admin/data-deletion/requests"),
        json={"customer_id": customer_id},
        headers=tenant.headers,
    )
    assert resp.status_code in (200, 201), resp.get_json()
    assert resp.get_json()["messages"] == 2
    assert {r.phone for r in sms_rows(rt, tenant)} == {keep_phone}
    assert [r.recipient for r in outbox_rows(rt, tenant)] == [keep_phone]
    staff_mails = [r for r in outbox_rows(rt, tenant, "email") if r.topic == "sms_received"]
    assert len(staff_mails) == 1  # only the other customer's text is still quoted
    assert "1234" not in str(staff_mails[0].payload)
    deliver(rt, tenant)
    thread = client.get(
        tenant.url(f"/admin/customers/{customer_id}/messages"), headers=tenant.headers
    )
    assert thread.status_code == 200 and thread.get_json()["items"] == []
