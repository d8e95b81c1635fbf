"""rq-dashboard at /ops/rq/: operator auth, its own CSP, and refused cross-origin POSTs."""

import re

from jobs import queues


def test_needs_operator_credentials(client, tenant):
    resp = client.get("/ops/rq/")
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/ops/rq/", headers=tenant.headers).status_code == 403
    bad = {"Authorization": "Basic b3BzOndyb25n"}  # ops:wrong
    assert client.get("/ops/rq/", headers=bad).status_code == 401
    # static files are behind the same guard
    assert client.get("/ops/rq/static/css/main.css").status_code == 401


def test_operator_sees_the_dashboard_with_its_csp(client, operator_headers):
    resp = client.get("/ops/rq/", headers=operator_headers, follow_redirects=True)
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    html = resp.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)
    assert "/ops/rq/static/" in html  # links carry the mount prefix
    assert resp.headers["X-Frame-Options"] == "DENY"
    queues_json = client.get("/ops/rq/0/data/queues.json", headers=operator_headers)
    assert queues_json.status_code == 200


def test_cross_origin_post_is_refused(client, runtime, operator_headers):
    q = queues.queue(queues.DEFAULT, runtime)
    q.empty()  # earlier tests of this worker may have left jobs on the shared default queue
    q.enqueue("jobs.heartbeat.pipeline_heartbeat")
    url = f"/ops/rq/queue/{queues.DEFAULT}/queued/empty"
    foreign = {**operator_headers, "Origin": "https://evil.example"}
    assert client.post(url, headers=foreign).status_code == 403
    no_origin = client.post(url, headers=operator_headers)
    assert no_origin.status_code == 403
    assert q.count == 1
    same = {**operator_headers, "Origin": "http://localhost"}
    assert client.post(url, headers=same).status_code == 200
    assert q.count == 0
    # the origin check comes first, but credentials are still required for same-origin posts
    assert client.post(url, headers={"Origin": "http://localhost"}).status_code == 401
