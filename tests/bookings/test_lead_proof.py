"""Proof of the lead (SPEC §5.3–§5.4, issue #17 item 3): ``lead_token`` from ``POST /leads`` is
required by ``GET /slots?lead_id`` and ``POST /bookings``; every failure is the same 404; one live
booking per lead."""

import hashlib
import threading

import pytest
from sqlalchemy import select, text

from shared import db
from shared.errors import NotFound
from shared.tenancy import tenant_context
from tenantapp.leads import proof
from tenantapp.leads.models import Lead
from tests.bookings.conftest import at, book, make_lead


def _slots(client, tenant, day, lead_id, token=None):
    url = f"/slots?date={day}&lead_id={lead_id}"
    if token is not None:
        url += f"&lead_token={token}"
    return client.get(tenant.url(url))


def test_lead_token_is_random_shown_once_and_stored_hashed(client, tenant, rt):
    first = make_lead(client, tenant)
    second = make_lead(client, tenant)
    token = first["lead_token"]
    assert len(token) >= 43 and token != second["lead_token"]  # 32 random bytes, base64url
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        stored = db.session().scalar(select(Lead.token_hash).where(Lead.id == first["lead_id"]))
        db.close_session()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    staff_view = client.get(
        tenant.url(f"/admin/leads/{first['lead_id']}"), headers=tenant.headers
    ).get_data(as_text=True)
    assert token not in staff_view and stored not in staff_view


def test_guessed_lead_id_without_token_is_404(client, tenant, day):
    lead = make_lead(client, tenant)
    resp = book(client, tenant, lead["lead_id"], at(day, "09:00"), token=None)
    assert resp.status_code == 404 and resp.get_json()["code"] == "not_found"
    assert _slots(client, tenant, day, lead["lead_id"]).status_code == 404
    assert book(client, tenant, lead["lead_id"], at(day, "09:00"), token="").status_code == 404
    # the real token still works afterwards
    assert _slots(client, tenant, day, lead["lead_id"], lead["lead_token"]).status_code == 200
    assert book(client, tenant, lead["lead_id"], at(day, "09:00")).status_code == 201


def test_wrong_token_is_404_identical_to_an_unknown_lead(client, tenant, day):
    lead = make_lead(client, tenant)
    other = make_lead(client, tenant, email="o@example.com", phone="+1 403 555 0177")
    unknown_id = other["lead_id"] + 1000
    answers = {
        "unknown id": book(client, tenant, unknown_id, at(day, "09:00"), token=lead["lead_token"]),
        "wrong token": book(client, tenant, lead["lead_id"], at(day, "09:00"), token="x" * 43),
        "other lead's token": book(
            client, tenant, lead["lead_id"], at(day, "09:00"), token=other["lead_token"]
        ),
        "missing token": book(client, tenant, lead["lead_id"], at(day, "09:00"), token=None),
        "huge token": book(client, tenant, lead["lead_id"], at(day, "09:00"), token="y" * 5000),
    }
    bodies = {name: (r.status_code, r.content_type, r.get_json()) for name, r in answers.items()}
    assert len({repr(b) for b in bodies.values()}) == 1, bodies
    assert bodies["unknown id"][0] == 404
    slot_answers = [
        _slots(client, tenant, day, unknown_id, lead["lead_token"]),
        _slots(client, tenant, day, lead["lead_id"], "x" * 43),
        _slots(client, tenant, day, lead["lead_id"], other["lead_token"]),
        _slots(client, tenant, day, lead["lead_id"]),
    ]
    assert len({(r.status_code, repr(r.get_json())) for r in slot_answers}) == 1
    assert slot_answers[0].status_code == 404


def test_unknown_lead_and_wrong_token_do_the_same_constant_time_work(
    client, rt, tenant, monkeypatch
):
    """No timing oracle: an unknown id still hashes the token and compares it in constant time."""
    lead = make_lead(client, tenant)
    calls = []
    real = proof.hmac.compare_digest
    monkeypatch.setattr(
        proof.hmac, "compare_digest", lambda a, b: calls.append((len(a), len(b))) or real(a, b)
    )
    cases = ((10**12, "t" * 43), (10**12, None), (lead["lead_id"], "t" * 43))
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        for lead_id, token in cases:
            with pytest.raises(NotFound):
                proof.lead_by_proof(lead_id, token)
        db.close_session()
    assert calls == [(64, 64)] * 3


def test_a_lead_made_before_tokens_cannot_be_booked_publicly(client, tenant, rt, day):
    lead = make_lead(client, tenant)
    ref = rt.tenants.by_slug(tenant.slug)
    with rt.owner_engine.begin() as conn:
        conn.execute(
            text(f'UPDATE "{ref.schema_name}".leads SET token_hash = NULL WHERE id = :i'),
            {"i": lead["lead_id"]},
        )
    assert book(client, tenant, lead["lead_id"], at(day, "09:00")).status_code == 404
    assert book(client, tenant, lead["lead_id"], at(day, "09:00"), token="").status_code == 404
    assert _slots(client, tenant, day, lead["lead_id"], lead["lead_token"]).status_code == 404


def test_a_lead_with_a_pending_or_confirmed_booking_is_409(client, tenant, day):
    lead = make_lead(client, tenant)
    first = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    assert first["status"] == "PENDING"
    again = book(client, tenant, lead["lead_id"], at(day, "13:00"))
    assert again.status_code == 409 and again.get_json()["code"] == "conflict"
    client.post(tenant.url(f"/admin/bookings/{first['id']}/confirm"), headers=tenant.headers)
    again = book(client, tenant, lead["lead_id"], at(day, "13:00"))
    assert again.status_code == 409 and again.get_json()["code"] == "conflict"
    client.post(
        tenant.url(f"/admin/bookings/{first['id']}/cancel"),
        json={"reason": "moved away"},
        headers=tenant.headers,
    )
    assert book(client, tenant, lead["lead_id"], at(day, "13:00")).status_code == 201


def test_two_concurrent_bookings_of_one_lead_make_one_booking(wsgi_app, client, tenant, day):
    from tests.support import ApiClient

    lead = make_lead(client, tenant)
    barrier = threading.Barrier(2)
    codes = []

    def attempt(hhmm):
        c = ApiClient(wsgi_app)
        barrier.wait()
        codes.append(book(c, tenant, lead["lead_id"], at(day, hhmm)).status_code)

    threads = [threading.Thread(target=attempt, args=(h,)) for h in ("09:00", "13:00")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201, 409]


def test_openapi_documents_the_token(client, tenant):
    doc = client.get(tenant.url("/openapi.json")).get_json()
    schemas = doc["components"]["schemas"]
    assert "lead_token" in schemas["LeadCreated"]["properties"]
    assert "lead_token" in schemas["BookingIn"]["properties"]
    params = {p["name"] for p in doc["paths"]["/slots"]["get"]["parameters"]}
    assert {"lead_id", "lead_token"} <= params
    responses = doc["paths"]["/bookings"]["post"]["responses"]
    assert {"201", "402", "404", "409", "422"} <= set(responses)


def test_lead_token_in_the_slots_query_is_redacted_from_logs():
    from shared.logs import redact_text

    line = redact_text(
        "GET /t/co/v1/slots?date=2026-12-21&lead_id=5&lead_token=abc_DEF-123 HTTP/1.1"
    )
    assert "abc_DEF-123" not in line and "lead_id=5" in line
