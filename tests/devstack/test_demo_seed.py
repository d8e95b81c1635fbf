"""The demo seed books through the public API like a browser, lead token included (issue #17)."""

from devstack.demo import BOOKED, LEADS, seed_sample_data


def test_demo_seed_books_its_leads_with_their_tokens(client, tenant):
    summary = seed_sample_data(client, tenant.slug, tenant.access_token)
    assert summary == f"{len(LEADS)} leads, {BOOKED} bookings, 1 worker", summary
    page = client.get(tenant.url("/admin/bookings"), headers=tenant.headers).get_json()
    assert len(page["items"]) == BOOKED
