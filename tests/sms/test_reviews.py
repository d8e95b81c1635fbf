"""The review loop: a request after completion (e-mail, and a text when opted in) once per
booking and once per customer in 90 days; 0–10 stored once; ≤ 6 alerts staff; ≥ 9 gets the
review URL; NPS and average per worker in /admin/metrics."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from shared import db
from shared.crypto import unsealed
from shared.tenancy import tenant_context
from tenantapp.reviews.models import Review
from tests.bookings.conftest import at, book, make_lead, monday
from tests.sms.conftest import inbound, new_number, outbox_rows, set_sms_from, sms_rows
from tests.workforce.helpers import assign, make_worker


def completed(client, tenant, *, phone=None, email=None, weeks=2, worker=None, number=None):
    phone = phone or new_number()
    if number:
        inbound(client, number, phone, "START")
    lead = make_lead(client, tenant, phone=phone, email=email or f"{phone[1:]}@example.com")
    b = book(client, tenant, lead["lead_id"], at(monday(weeks), "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{b['id']}/confirm"), headers=tenant.headers)
    if worker is not None:
        assert assign(client, tenant, b["id"], worker.id).status_code == 200
    resp = client.post(tenant.url(f"/admin/bookings/{b['id']}/complete"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    return b, phone


def feedback_urls(rt, tenant) -> dict[str, str]:
    """booking id → the feedback link of its review_request e-mail."""
    keys = tuple(rt.settings.data_encryption_keys)
    out = {}
    for row in outbox_rows(rt, tenant, "email"):
        if row.topic == "review_request":
            out[row.dedupe_key.split(":")[1]] = unsealed(row.payload, keys)["feedback_url"]
    return out


def token_path(url: str) -> str:
    return "/feedback/" + url.rsplit("/feedback/", 1)[1]


def test_completion_asks_for_a_review_by_email_and_text(client, rt, tenant):
    number = set_sms_from(client, tenant)
    b, phone = completed(client, tenant, number=number)
    urls = feedback_urls(rt, tenant)
    assert list(urls) == [str(b["id"])]
    assert urls[str(b["id"])].startswith(f"https://app.cleanplane.test/t/{tenant.slug}/feedback/")
    texts = [r for r in sms_rows(rt, tenant) if r.template == "review_request"]
    assert [(t.phone, t.booking_id) for t in texts] == [(phone, b["id"])]
    # The thread shows the text without its secret link; the link itself is sealed.
    assert texts[0].body.endswith("from 0 to 10: [link]")
    assert "/feedback/" not in str(outbox_rows(rt, tenant)[0].payload)


def test_one_request_per_customer_in_90_days(client, rt, tenant):
    phone = new_number()
    first, _ = completed(client, tenant, phone=phone, email="same@example.com")
    second, _ = completed(client, tenant, phone=phone, email="same@example.com", weeks=3)
    assert list(feedback_urls(rt, tenant)) == [str(first["id"])]
    # 91 days later the customer may be asked again.
    with tenant_context(rt.tenants.by_id(tenant.id)):
        with db.transaction() as tx:
            tx.execute(update(Review).values(requested_at=datetime.now(UTC) - timedelta(days=91)))
        db.close_session()
    third, _ = completed(client, tenant, phone=phone, email="same@example.com", weeks=4)
    assert sorted(feedback_urls(rt, tenant)) == sorted([str(first["id"]), str(third["id"])])


def test_score_is_stored_once_and_promoters_get_the_review_url(client, rt, tenant):
    client.patch(
        tenant.url("/admin/settings"),
        json={"review_url": "https://g.page/r/our-company/review"},
        headers=tenant.headers,
    )
    b, _ = completed(client, tenant)
    path = tenant.url(token_path(feedback_urls(rt, tenant)[str(b["id"])]).removeprefix("/t/x"))
    path = f"/t/{tenant.slug}/v1{token_path(feedback_urls(rt, tenant)[str(b['id'])])}"
    view = client.get(path)
    assert view.status_code == 200
    assert view.get_json()["answered"] is False and view.get_json()["review_url"] is None
    resp = client.post(path, json={"score": 9, "comment": "Spotless!"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["review_url"] == "https://g.page/r/our-company/review"
    again = client.post(path, json={"score": 2})
    assert again.status_code == 409
    assert client.get(path).get_json()["score"] == 9
    alerts = [r for r in outbox_rows(rt, tenant, "email") if r.topic == "review_alert"]
    assert alerts == []


@pytest.mark.parametrize(
    ("score", "alert", "url"),
    [(0, True, False), (6, True, False), (7, False, False), (8, False, False), (10, False, True)],
)
def test_score_boundaries(client, rt, tenant, score, alert, url):
    client.patch(
        tenant.url("/admin/settings"),
        json={"review_url": "https://example.com/review"},
        headers=tenant.headers,
    )
    b, _ = completed(client, tenant)
    path = f"/t/{tenant.slug}/v1{token_path(feedback_urls(rt, tenant)[str(b['id'])])}"
    resp = client.post(path, json={"score": score})
    assert resp.status_code == 200
    assert (resp.get_json()["review_url"] is not None) is url
    alerts = [r for r in outbox_rows(rt, tenant, "email") if r.topic == "review_alert"]
    assert (len(alerts) == 1) is alert
    if alert:
        assert alerts[0].recipient == tenant.email


@pytest.mark.parametrize(
    "body", [{"score": 11}, {"score": -1}, {"score": "9"}, {}, {"score": 5, "comment": "x" * 2001}]
)
def test_bad_answers_are_422(client, rt, tenant, body):
    b, _ = completed(client, tenant)
    path = f"/t/{tenant.slug}/v1{token_path(feedback_urls(rt, tenant)[str(b['id'])])}"
    assert client.post(path, json=body).status_code == 422


def test_bad_or_foreign_tokens_are_404(client, rt, tenant, other_tenant):
    b, _ = completed(client, tenant)
    token = token_path(feedback_urls(rt, tenant)[str(b["id"])])
    assert client.get(f"/t/{tenant.slug}/v1/feedback/not-a-token").status_code == 404
    assert client.get(f"/t/{other_tenant.slug}/v1{token}").status_code == 404
    assert client.post(f"/t/{other_tenant.slug}/v1{token}", json={"score": 3}).status_code == 404


def test_nps_and_average_per_worker_in_metrics(client, rt, tenant):
    maria = make_worker(client, tenant, name="Maria Lopez")
    sam = make_worker(client, tenant, name="Sam Chen")
    scores = [(maria, 10), (maria, 9), (maria, 3), (sam, 8)]
    for i, (worker, score) in enumerate(scores):
        b, _ = completed(client, tenant, worker=worker, weeks=2 + i)
        path = f"/t/{tenant.slug}/v1{token_path(feedback_urls(rt, tenant)[str(b['id'])])}"
        assert client.post(path, json={"score": score}).status_code == 200
    report = client.get(tenant.url("/admin/metrics"), headers=tenant.headers).get_json()
    reviews = report["reviews"]
    assert reviews["responses"] == 4
    assert reviews["average"] == 7.5
    assert reviews["nps"] == 25.0  # 2 promoters, 1 detractor of 4
    by_worker = {w["name"]: w for w in reviews["by_worker"]}
    assert by_worker["Maria Lopez"]["nps"] == pytest.approx(33.3)
    assert by_worker["Maria Lopez"]["average"] == pytest.approx(7.33)
    assert (by_worker["Sam Chen"]["nps"], by_worker["Sam Chen"]["average"]) == (0.0, 8.0)
    csv = client.get(tenant.url("/admin/metrics?format=csv"), headers=tenant.headers)
    assert "reviews,nps,25.0" in csv.get_data(as_text=True)
