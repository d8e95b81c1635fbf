"""The tenants table: a signed-up workspace is there, found by search, filters, keyset pages."""

import uuid

from controlplane.ops_console.tenants import TenantQuery, tenants_page
from tests.support import signup


def test_a_new_signup_is_on_the_first_page(ops, client):
    made = signup(client)
    html = ops.get("/ops/").get_data(as_text=True)
    assert made.slug in html  # newest first


def test_search_by_slug_company_owner_email_and_id(ops, client):
    made = signup(client)
    for q in (made.slug, made.slug.upper(), f"{made.slug} Cleaning", made.email, made.id):
        html = ops.get("/ops/", query_string={"q": q}).get_data(as_text=True)
        assert f"/ops/tenants/{made.id}" in html, q
    other = ops.get("/ops/", query_string={"q": "no-such-workspace-anywhere"})
    assert "No tenant matches" in other.get_data(as_text=True)


def test_like_wildcards_in_the_search_are_literal(ops, client):
    signup(client)
    html = ops.get("/ops/", query_string={"q": "%"}).get_data(as_text=True)
    assert "No tenant matches" in html


def test_filters_by_status_plan_shard_and_revision(ops, client, rt):
    a, b = signup(client), signup(client)
    ops.post_form(f"/ops/tenants/{a.id}/suspend", f"/ops/tenants/{a.id}/suspend", {"reason": "t"})
    suspended = ops.get("/ops/", query_string={"status": "suspended"}).get_data(as_text=True)
    assert a.slug in suspended and b.slug not in suspended
    revision = rt.tenants.by_id(b.id).schema_revision
    for params in ({"plan": "free"}, {"shard": "default"}, {"revision": revision}):
        html = ops.get("/ops/", query_string={**params, "q": b.slug}).get_data(as_text=True)
        assert f"/ops/tenants/{b.id}" in html, params
    for params in ({"plan": "business"}, {"shard": "elsewhere"}, {"revision": "none"}):
        html = ops.get("/ops/", query_string={**params, "q": b.slug}).get_data(as_text=True)
        assert f"/ops/tenants/{b.id}" not in html, params


def test_bad_filter_values_are_422_not_500(ops):
    assert ops.get("/ops/", query_string={"status": "sleeping"}).status_code == 422
    assert ops.get("/ops/", query_string={"after": "not-a-cursor"}).status_code == 422
    assert ops.get("/ops/", query_string={"q": "x" * 201}).status_code == 422
    assert ops.get("/ops/", query_string={"q": "x" * 200}).status_code == 200


def test_pages_walk_forwards_and_back_without_gaps_or_repeats(client, rt):
    prefix = f"pg{uuid.uuid4().hex[:6]}"
    made = {signup(client, slug=f"{prefix}-{i}").slug for i in range(5)}
    seen, query, pages = [], TenantQuery(q=prefix, limit=2), []
    while True:
        page = tenants_page(query)
        assert page["total"] == 5
        pages.append([t.slug for t in page["items"]])
        seen += pages[-1]
        if not page["next"]:
            break
        query = TenantQuery(q=prefix, limit=2, after=page["next"])
    assert sorted(seen) == sorted(made) and len(seen) == 5
    assert [len(p) for p in pages] == [2, 2, 1]
    back = tenants_page(TenantQuery(q=prefix, limit=2, before=page["prev"]))
    assert [t.slug for t in back["items"]] == pages[1]
    first = tenants_page(TenantQuery(q=prefix, limit=2, before=back["prev"]))
    assert [t.slug for t in first["items"]] == pages[0] and first["prev"] is None


def test_the_total_counts_what_matches_and_page_links_keep_the_filters(ops, client):
    prefix = f"lk{uuid.uuid4().hex[:6]}"
    for i in range(3):
        signup(client, slug=f"{prefix}-{i}")
    html = ops.get("/ops/", query_string={"q": prefix}).get_data(as_text=True)
    assert "Older" not in html  # 3 rows fit on one page of 50
    assert '<span class="total">3</span>' in html  # how many match the search
    query = TenantQuery(q=prefix, status="active", after="old")
    assert query.params(after="next") == {"q": prefix, "status": "active", "after": "next"}
    assert query.params(after="", before="prev") == {
        "q": prefix,
        "status": "active",
        "before": "prev",
    }
