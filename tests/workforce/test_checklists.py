"""Checklist templates (versioned, default seeded) and runs for staff and workers."""

from __future__ import annotations

import threading

from tests.support import ApiClient
from tests.workforce.helpers import add_team, make_booking, make_worker

ITEMS = [
    {"label": "Before photo walk", "phase": "BEFORE", "required": True},
    {"label": "Oven", "phase": "AFTER", "required": False},
    {"label": "Floors", "phase": "AFTER", "required": True},
]


def _admin(client, tenant, method, path, **kw):
    return getattr(client, method)(tenant.url(path), headers=tenant.headers, **kw)


def _init(client, tenant, booking_id):
    resp = _admin(client, tenant, "post", f"/admin/bookings/{booking_id}/checklist/init")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _tick(client, tenant, booking_id, item_id, headers=None, prefix="/admin/bookings", **body):
    return client.patch(
        tenant.url(f"{prefix}/{booking_id}/checklist/items/{item_id}"),
        json=body,
        headers=headers or tenant.headers,
    )


def test_every_tenant_starts_with_the_default_template(client, tenant):
    resp = _admin(client, tenant, "get", "/admin/checklist-templates")
    (default,) = resp.get_json()["items"]
    assert default["service_type"] is None and default["version"] == 1
    assert len(default["items"]) == 7
    assert [i["position"] for i in default["items"]] == list(range(7))
    assert {i["phase"] for i in default["items"]} == {"BEFORE", "AFTER"}


def test_template_crud_and_validation(client, tenant):
    bad = _admin(
        client,
        tenant,
        "post",
        "/admin/checklist-templates",
        json={"name": "", "service_type": "laundry", "items": [{"label": "x", "phase": "DURING"}]},
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.get_json()["errors"]}
    assert {"name", "service_type"} <= fields and any(f.startswith("items") for f in fields)
    empty = _admin(
        client, tenant, "post", "/admin/checklist-templates", json={"name": "E", "items": []}
    )
    assert empty.status_code == 422
    dup_pos = _admin(
        client,
        tenant,
        "post",
        "/admin/checklist-templates",
        json={
            "name": "D",
            "service_type": "deep",
            "items": [{**ITEMS[0], "position": 1}, {**ITEMS[1], "position": 1}],
        },
    )
    assert dup_pos.status_code == 422
    created = _admin(
        client,
        tenant,
        "post",
        "/admin/checklist-templates",
        json={"name": "Deep", "service_type": "deep", "items": ITEMS},
    )
    assert created.status_code == 201
    t = created.get_json()
    assert t["version"] == 1 and [i["position"] for i in t["items"]] == [0, 1, 2]
    again = _admin(
        client,
        tenant,
        "post",
        "/admin/checklist-templates",
        json={"name": "Deep 2", "service_type": "deep", "items": ITEMS},
    )
    assert again.status_code == 409
    second_default = _admin(
        client, tenant, "post", "/admin/checklist-templates", json={"name": "D2", "items": ITEMS}
    )
    assert second_default.status_code == 409
    # editing an unused template rewrites its current version
    put = _admin(
        client,
        tenant,
        "put",
        f"/admin/checklist-templates/{t['id']}",
        json={"name": "Deep clean", "service_type": "deep", "items": ITEMS[:1]},
    )
    assert put.status_code == 200
    assert put.get_json()["version"] == 1 and len(put.get_json()["items"]) == 1
    assert put.get_json()["name"] == "Deep clean"
    gone = _admin(client, tenant, "delete", f"/admin/checklist-templates/{t['id']}")
    assert gone.status_code == 204
    assert _admin(client, tenant, "get", f"/admin/checklist-templates/{t['id']}").status_code == 404
    assert (
        _admin(client, tenant, "delete", f"/admin/checklist-templates/{t['id']}").status_code == 404
    )


def test_init_is_idempotent_and_snapshots_the_default(client, tenant, booking):
    assert (
        _admin(client, tenant, "get", f"/admin/bookings/{booking['id']}/checklist").status_code
        == 404
    )
    first = _init(client, tenant, booking["id"])
    second = _init(client, tenant, booking["id"])
    assert first == second
    assert len(first["items"]) == 7 and first["template_version"] == 1
    assert all(i["done"] is False for i in first["items"])
    got = _admin(client, tenant, "get", f"/admin/bookings/{booking['id']}/checklist")
    assert got.get_json() == first


def test_init_prefers_the_template_for_the_service_type(client, tenant):
    deep = _admin(
        client,
        tenant,
        "post",
        "/admin/checklist-templates",
        json={"name": "Deep", "service_type": "deep", "items": ITEMS},
    ).get_json()
    deep_job = make_booking(client, tenant, service_type="deep")
    standard_job = make_booking(client, tenant)
    assert _init(client, tenant, deep_job["id"])["template_id"] == deep["id"]
    assert _init(client, tenant, standard_job["id"])["template_id"] != deep["id"]


def test_editing_a_used_template_makes_a_new_version_and_runs_keep_theirs(client, tenant, booking):
    template = _admin(client, tenant, "get", "/admin/checklist-templates").get_json()["items"][0]
    run = _init(client, tenant, booking["id"])
    put = _admin(
        client,
        tenant,
        "put",
        f"/admin/checklist-templates/{template['id']}",
        json={"name": "Standard v2", "items": ITEMS},
    )
    assert put.status_code == 200 and put.get_json()["version"] == 2
    assert [i["label"] for i in put.get_json()["items"]] == [i["label"] for i in ITEMS]
    kept = _admin(client, tenant, "get", f"/admin/bookings/{booking['id']}/checklist").get_json()
    assert kept == run and kept["template_version"] == 1
    newer = make_booking(client, tenant)
    fresh = _init(client, tenant, newer["id"])
    assert fresh["template_version"] == 2 and len(fresh["items"]) == 3
    # version 2 now has a run too: the next edit makes version 3
    put3 = _admin(
        client,
        tenant,
        "put",
        f"/admin/checklist-templates/{template['id']}",
        json={"name": "Standard v3", "items": ITEMS[:2]},
    )
    assert put3.get_json()["version"] == 3


def test_deleting_a_template_with_runs_is_409(client, tenant, booking):
    template = _admin(client, tenant, "get", "/admin/checklist-templates").get_json()["items"][0]
    _init(client, tenant, booking["id"])
    resp = _admin(client, tenant, "delete", f"/admin/checklist-templates/{template['id']}")
    assert resp.status_code == 409
    assert (
        _admin(client, tenant, "get", f"/admin/checklist-templates/{template['id']}").status_code
        == 200
    )


def test_no_template_at_all_is_409_on_init(client, tenant, booking):
    template = _admin(client, tenant, "get", "/admin/checklist-templates").get_json()["items"][0]
    _admin(client, tenant, "delete", f"/admin/checklist-templates/{template['id']}")
    resp = _admin(client, tenant, "post", f"/admin/bookings/{booking['id']}/checklist/init")
    assert resp.status_code == 409


def test_toggle_note_and_complete_rules(client, tenant, booking):
    run = _init(client, tenant, booking["id"])
    required = [i["id"] for i in run["items"] if i["required"]]
    optional = [i["id"] for i in run["items"] if not i["required"]]
    first = required[0]
    resp = _tick(client, tenant, booking["id"], first, done=True, note="Scuff on door")
    assert resp.status_code == 200
    item = next(i for i in resp.get_json()["items"] if i["id"] == first)
    assert item["done"] and item["note"] == "Scuff on door" and item["done_at"]
    assert item["done_by"].startswith("staff:")
    undone = _tick(client, tenant, booking["id"], first, done=False).get_json()
    item = next(i for i in undone["items"] if i["id"] == first)
    assert not item["done"] and item["done_at"] is None and item["note"] == "Scuff on door"
    assert _tick(client, tenant, booking["id"], first).status_code == 422  # empty body
    assert _tick(client, tenant, booking["id"], 999_999, done=True).status_code == 404

    for item_id in required[:-1]:
        _tick(client, tenant, booking["id"], item_id, done=True)
    missing = _admin(client, tenant, "post", f"/admin/bookings/{booking['id']}/checklist/complete")
    assert missing.status_code == 400
    assert missing.get_json()["missing_item_ids"] == [required[-1]]
    _tick(client, tenant, booking["id"], required[-1], done=True)
    # optional items may stay open
    done = _admin(client, tenant, "post", f"/admin/bookings/{booking['id']}/checklist/complete")
    assert done.status_code == 200 and done.get_json()["completed_at"]
    assert all(not i["done"] for i in done.get_json()["items"] if i["id"] in optional)
    again = _admin(client, tenant, "post", f"/admin/bookings/{booking['id']}/checklist/complete")
    assert again.status_code == 200 and again.get_json() == done.get_json()
    late = _tick(client, tenant, booking["id"], optional[0], done=True)
    assert late.status_code == 409
    assert _tick(client, tenant, booking["id"], required[0], note="late").status_code == 409


def test_items_of_another_booking_are_404(client, tenant, booking):
    other = make_booking(client, tenant)
    _init(client, tenant, booking["id"])
    other_run = _init(client, tenant, other["id"])
    resp = _tick(client, tenant, booking["id"], other_run["items"][0]["id"], done=True)
    assert resp.status_code == 404


def test_cancelled_booking_cannot_get_a_checklist(client, tenant, booking):
    _admin(client, tenant, "post", f"/admin/bookings/{booking['id']}/cancel", json={})
    resp = _admin(client, tenant, "post", f"/admin/bookings/{booking['id']}/checklist/init")
    assert resp.status_code == 409


def test_checklist_writes_are_audited(client, tenant, booking):
    run = _init(client, tenant, booking["id"])
    _tick(client, tenant, booking["id"], run["items"][0]["id"], done=True)
    entries = client.get(tenant.url("/admin/audit"), headers=tenant.headers).get_json()["items"]
    actions = {e["action"] for e in entries}
    assert {"checklist.init", "checklist.item"} <= actions


def test_workers_use_the_checklist_of_their_visible_jobs(client, tenant, booking):
    worker = make_worker(client, tenant)
    outsider = make_worker(client, tenant, team_id=add_team(client, tenant))
    base = f"/worker/jobs/{booking['id']}/checklist"
    assert client.post(tenant.url(f"{base}/init"), headers=outsider.headers).status_code == 404
    init = client.post(tenant.url(f"{base}/init"), headers=worker.headers)
    assert init.status_code == 200
    run = init.get_json()
    assert client.get(tenant.url(base), headers=worker.headers).get_json() == run
    assert client.get(tenant.url(base), headers=outsider.headers).status_code == 404
    required = [i["id"] for i in run["items"] if i["required"]]
    blocked = _tick(
        client, tenant, booking["id"], required[0], outsider.headers, "/worker/jobs", done=True
    )
    assert blocked.status_code == 404
    for item_id in required[1:]:
        resp = _tick(
            client, tenant, booking["id"], item_id, worker.headers, "/worker/jobs", done=True
        )
        assert resp.status_code == 200
    missing = client.post(tenant.url(f"{base}/complete"), headers=worker.headers)
    assert missing.status_code == 400 and missing.get_json()["missing_item_ids"] == required[:1]
    _tick(client, tenant, booking["id"], required[0], worker.headers, "/worker/jobs", done=True)
    done = client.post(tenant.url(f"{base}/complete"), headers=worker.headers)
    assert done.status_code == 200 and done.get_json()["completed_by"] == f"worker:{worker.id}"
    item = next(i for i in done.get_json()["items"] if i["id"] == required[0])
    assert item["done_by"] == f"worker:{worker.id}"


def test_checklist_endpoints_are_tenant_isolated(client, tenant, other_tenant):
    job_b = make_booking(client, other_tenant)
    run_b = _init(client, other_tenant, job_b["id"])
    item = run_b["items"][0]["id"]
    paths = [
        ("post", f"/admin/bookings/{job_b['id']}/checklist/init"),
        ("get", f"/admin/bookings/{job_b['id']}/checklist"),
        ("patch", f"/admin/bookings/{job_b['id']}/checklist/items/{item}"),
        ("post", f"/admin/bookings/{job_b['id']}/checklist/complete"),
    ]
    for method, path in paths:
        kwargs = {"json": {"done": True}} if method == "patch" else {}
        foreign = getattr(client, method)(other_tenant.url(path), headers=tenant.headers, **kwargs)
        assert foreign.status_code == 403, path
        own_slug = getattr(client, method)(tenant.url(path), headers=tenant.headers, **kwargs)
        assert own_slug.status_code == 404, path
    # ids are per tenant schema: B's second template (id 2) has no twin in A
    t_b = _admin(
        client,
        other_tenant,
        "post",
        "/admin/checklist-templates",
        json={"name": "Deep", "service_type": "deep", "items": ITEMS},
    ).get_json()
    assert t_b["id"] == 2
    for method in ("get", "put", "delete"):
        kwargs = {"json": {"name": "x", "items": ITEMS}} if method == "put" else {}
        path = f"/admin/checklist-templates/{t_b['id']}"
        foreign = getattr(client, method)(other_tenant.url(path), headers=tenant.headers, **kwargs)
        assert foreign.status_code == 403
        own_slug = getattr(client, method)(tenant.url(path), headers=tenant.headers, **kwargs)
        assert own_slug.status_code == 404
    assert _admin(client, other_tenant, "get", "/admin/checklist-templates/2").get_json() == t_b
    # nothing changed in B
    after = _admin(client, other_tenant, "get", f"/admin/bookings/{job_b['id']}/checklist")
    assert after.get_json() == run_b


def test_concurrent_inits_make_one_run(client, tenant, booking, wsgi_app):
    barrier = threading.Barrier(5)
    results = []

    def init():
        own = ApiClient(wsgi_app)
        barrier.wait()
        resp = own.post(
            tenant.url(f"/admin/bookings/{booking['id']}/checklist/init"), headers=tenant.headers
        )
        results.append((resp.status_code, resp.get_json()["id"]))

    threads = [threading.Thread(target=init) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {code for code, _ in results} == {200}
    assert len({run_id for _, run_id in results}) == 1
