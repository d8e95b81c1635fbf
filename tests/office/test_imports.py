"""POST /admin/imports/customers + GET /admin/imports/{id} (SPEC §5.9)."""

from __future__ import annotations

import io

from sqlalchemy import select

from tenantapp.customers.models import Customer, Property
from tenantapp.imports.upload import MAX_BYTES
from tests.office.helpers import add_customer, in_tenant, run_default_queue

JOBBER = (
    "Display Name,First Name,Last Name,Main Phone #,Mobile Phone #,E-mail,Service Street 1,"
    "Service City,Service State,Service Zip code,Billing Street 1,Notes\r\n"
    "Ava Stone,Ava,Stone,(780) 555-0101,,ava@example.com,10230 Jasper Ave,Edmonton,AB,T5J 0N3,"
    "PO Box 1,Gate code 12\r\n"
)
ZENMAID = (
    "First Name,Last Name,Email,Phone,Address,City,State,Zip Code,Notes\r\n"
    "Ben,Lake,ben@example.com,780.555.0102,1 Whyte Ave,Edmonton,AB,T6E 1Z9,Has a cat\r\n"
)


def upload(client, tenant, content: bytes, *, dry_run="false", filename="clients.csv"):
    data = {"file": (io.BytesIO(content), filename)}
    if dry_run is not None:
        data["dry_run"] = dry_run
    return client.post(
        tenant.url("/admin/imports/customers"),
        data=data,
        headers=tenant.headers,
        content_type="multipart/form-data",
    )


def finished(client, runtime, tenant, resp) -> dict:
    assert resp.status_code == 202, resp.get_data(as_text=True)
    assert resp.get_json()["status"] == "queued"
    run_default_queue(runtime)
    got = client.get(tenant.url(f"/admin/imports/{resp.get_json()['id']}"), headers=tenant.headers)
    assert got.status_code == 200
    return got.get_json()


def customers(runtime, tenant) -> list[Customer]:
    with in_tenant(runtime, tenant) as sess:
        return list(sess.scalars(select(Customer).order_by(Customer.id)))


def test_jobber_and_zenmaid_exports_import_with_their_addresses(client, runtime, tenant):
    result = finished(client, runtime, tenant, upload(client, tenant, JOBBER.encode()))
    assert (result["status"], result["rows"], result["created"]) == ("done", 1, 1)
    result = finished(client, runtime, tenant, upload(client, tenant, ZENMAID.encode()))
    assert (result["created"], result["errors"]) == (1, [])
    rows = {c.name: c for c in customers(runtime, tenant)}
    assert (
        rows["Ava Stone"].phone == "+17805550101" and rows["Ava Stone"].email == "ava@example.com"
    )
    assert rows["Ava Stone"].notes == "Gate code 12"
    assert rows["Ben Lake"].phone == "+17805550102"
    with in_tenant(runtime, tenant) as sess:
        places = {p.address: p.postal_code for p in sess.scalars(select(Property))}
    assert places["10230 Jasper Ave, Edmonton, AB"] == "T5J 0N3"
    assert "1 Whyte Ave, Edmonton, AB" in places
    found = client.get(
        tenant.url("/admin/search"), query_string={"q": "Jasper"}, headers=tenant.headers
    ).get_json()["items"]
    assert [i["title"] for i in found if i["type"] == "customer"] == ["Ava Stone"]


def test_a_dry_run_is_the_default_and_writes_nothing(client, runtime, tenant):
    result = finished(
        client, runtime, tenant, upload(client, tenant, ZENMAID.encode(), dry_run=None)
    )
    assert result["dry_run"] is True
    assert (result["status"], result["created"]) == ("done", 1)
    assert customers(runtime, tenant) == []


def test_bad_lines_are_reported_with_their_file_line(client, runtime, tenant):
    csv = (
        "\ufeffName,Email,Phone\n"
        "Good One,good@example.com,780-555-0103\n"
        ",nobody@example.com,\n"
        "Bad Mail,not-an-email,\n"
        "\n"
        '"Multi\nLine",multi@example.com,12\n'
        "Good Two,,+1 780 555 0104\n"
    ).encode()
    result = finished(client, runtime, tenant, upload(client, tenant, csv))
    assert result["encoding"] == "utf-8"
    assert (result["rows"], result["created"], result["skipped"]) == (5, 2, 3)
    assert [(e["line"], e["field"]) for e in result["errors"]] == [
        (3, "name"),
        (4, "email"),
        (6, "phone"),
    ]
    assert sorted(c.name for c in customers(runtime, tenant)) == ["Good One", "Good Two"]


def test_dedupe_by_email_then_phone_against_existing_and_within_the_file(client, runtime, tenant):
    existing = add_customer(runtime, tenant, "Old Name", email="old@example.com")
    by_phone = add_customer(runtime, tenant, "Phone Only", phone="+17805550105")
    csv = (
        b"Name,Email,Phone\n"
        b"Old Name Again,OLD@example.com,780 555 0106\n"
        b"Phone Match,phone@example.com,(780) 555-0105\n"
        b"New Person,new@example.com,\n"
        b"New Person Twice,new@example.com,\n"
    )
    result = finished(client, runtime, tenant, upload(client, tenant, csv))
    assert (result["created"], result["merged"], result["skipped"]) == (1, 3, 0)
    rows = {c.id: c for c in customers(runtime, tenant)}
    assert len(rows) == 3
    assert rows[existing].phone == "+17805550106"  # a missing phone is filled in
    assert rows[by_phone].email == "phone@example.com"


def test_latin1_file_and_formula_cells(client, runtime, tenant):
    csv = 'Name,Email,Phone,Notes\nRené Côté,rene@example.com,,=HYPERLINK("x")\n'
    csv += "=cmd|' /C calc'!A0,evil@example.com,=1+1,\n"
    result = finished(client, runtime, tenant, upload(client, tenant, csv.encode("latin-1")))
    assert result["encoding"] == "windows-1252"
    assert result["created"] == 1
    assert [(e["line"], e["field"]) for e in result["errors"]] == [(3, "phone")]
    (rene,) = customers(runtime, tenant)
    assert rene.name == "René Côté"
    assert rene.notes == '=HYPERLINK("x")'  # stored as text; CSV exports escape it


def test_exactly_10_mib_is_accepted_and_one_byte_more_is_413(client, runtime, tenant):
    head = b"Name,Email\n"
    row = b"Pat Filler,\n"
    body = head + row * ((MAX_BYTES - len(head)) // len(row))
    body += b" " * (MAX_BYTES - len(body))
    assert len(body) == MAX_BYTES
    ok = upload(client, tenant, body, dry_run="true")
    assert ok.status_code == 202
    assert ok.get_json()["size_bytes"] == MAX_BYTES
    too_big = upload(client, tenant, body + b" ", dry_run="true")
    assert too_big.status_code == 413
    assert too_big.get_json()["code"] == "payload_too_large"


def test_non_csv_is_415_and_bad_parts_are_4xx(client, tenant):
    assert upload(client, tenant, b"PK\x03\x04xlsx", filename="clients.xlsx").status_code == 415
    assert upload(client, tenant, b"PK\x03\x04zip", filename="clients.csv").status_code == 415
    assert upload(client, tenant, b"%PDF-1.4", filename="list.pdf").status_code == 415
    json_body = client.post(
        tenant.url("/admin/imports/customers"), json={"file": "x"}, headers=tenant.headers
    )
    assert json_body.status_code == 415
    assert upload(client, tenant, b"Name\nA\n", dry_run="maybe").status_code == 422
    none = client.post(
        tenant.url("/admin/imports/customers"),
        data={"dry_run": "true"},
        headers=tenant.headers,
        content_type="multipart/form-data",
    )
    assert none.status_code == 422


def test_a_file_without_a_name_column_fails_with_line_1(client, runtime, tenant):
    result = finished(client, runtime, tenant, upload(client, tenant, b"Colour,Size\nred,2\n"))
    assert result["status"] == "failed"
    assert result["errors"][0]["line"] == 1


def test_imports_are_per_tenant(client, runtime, tenant, other_tenant):
    resp = upload(client, tenant, ZENMAID.encode())
    import_id = resp.get_json()["id"]
    assert (
        client.get(
            other_tenant.url(f"/admin/imports/{import_id}"), headers=other_tenant.headers
        ).status_code
        == 404
    )
    assert (
        client.get(tenant.url("/admin/imports/999999"), headers=tenant.headers).status_code == 404
    )
