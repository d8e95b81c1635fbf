"""``/metrics``: token rules, the SPEC §8 series, bounded label cardinality, multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared import circuit, metrics
from tests.support import ApiClient

ROOT = Path(__file__).resolve().parents[2]


def _families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _http_series() -> set:
    """Every (name, labels) sample of the request metrics in this process."""
    series = set()
    for family in metrics.REGISTRY.collect():
        if family.name.startswith("cleanplane_http"):
            for sample in family.samples:
                series.add((sample.name, tuple(sorted(sample.labels.items()))))
    return series


def test_metrics_is_open_without_a_token_outside_prod(client):
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain")


@pytest.fixture()
def token_client(runtime):
    from wsgi import create_wsgi

    return ApiClient(create_wsgi(runtime.settings.replace(metrics_token="m" * 40)))


def test_metrics_token_is_required_when_set(token_client):
    assert token_client.get("/metrics").status_code == 401
    wrong = token_client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})
    assert wrong.status_code == 401
    assert wrong.get_json()["code"] == "unauthorized"
    ok = token_client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40})
    assert ok.status_code == 200


def test_metrics_token_is_required_in_prod_even_if_somehow_unset(runtime):
    from flask import Flask

    from controlplane.metrics import _check_token
    from shared.errors import Unauthorized

    prod_without_token = runtime.settings.replace(app_env="prod", metrics_token="")
    with Flask("probe").test_request_context("/metrics", headers={"Authorization": "Bearer "}):
        with pytest.raises(Unauthorized):
            _check_token(prod_without_token)
        _check_token(runtime.settings)  # test env, no token: open


def test_scrape_has_the_spec_series(client, tenant, runtime):
    from sqlalchemy import delete, insert

    from jobs import queues
    from jobs.decorators import job
    from shared.outbox.dlq import DlqEntry

    @job(queue=queues.DEFAULT)
    def metrics_probe_job():
        raise RuntimeError("this run fails on purpose")

    client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    circuit.breaker("stripe")
    with pytest.raises(RuntimeError):
        metrics_probe_job()  # a real job run, counted by the job decorator
    email_queue = queues.queue(queues.EMAIL, runtime.redis)
    email_queue.enqueue("jobs.heartbeat.pipeline_heartbeat")
    with runtime.owner_engine.begin() as conn:
        conn.execute(insert(DlqEntry).values(scope="metrics-probe", kind="email", dead_count=2))
    bad = client.post("/v1/stripe/webhook", data=b"{}", headers={"Stripe-Signature": "t=1,v1=x"})
    assert bad.status_code == 400
    metrics.fleet_migration_result("succeeded", 0.05)
    try:
        families = _families(client.get("/metrics").get_data(as_text=True))
    finally:
        email_queue.empty()
        with runtime.owner_engine.begin() as conn:
            conn.execute(delete(DlqEntry).where(DlqEntry.scope == "metrics-probe"))

    latency = families["cleanplane_http_request_duration_seconds"]
    routes = {s.labels["route"] for s in latency.samples}
    assert "/v1/admin/settings" in routes
    assert "/v1/signup" in routes
    assert families["cleanplane_provisioning_duration_seconds"].samples  # signup provisioned
    tenants = {s.labels["status"]: s.value for s in families["cleanplane_tenants"].samples}
    assert tenants["active"] >= 1
    assert set(tenants) >= {"active", "suspended", "provision_failed", "deleted"}
    assert {s.labels["name"] for s in families["cleanplane_circuit_state"].samples} >= {"stripe"}
    job_runs = families["cleanplane_job_runs"].samples
    assert any(
        s.labels["job"].endswith("metrics_probe_job")
        and s.labels["outcome"] == "failed"
        and s.value >= 1
        for s in job_runs
    )
    assert "cleanplane_job_failures" in families
    assert "cleanplane_job_duration_seconds" in families
    queue = {s.labels["queue"]: s.value for s in families["cleanplane_queue_depth"].samples}
    assert queue["email"] >= 1 and set(queue) == set(queues.ALL)
    outbox = {s.labels["plane"]: s.value for s in families["cleanplane_outbox_depth"].samples}
    assert "control" in outbox
    dead = {s.labels["kind"]: s.value for s in families["cleanplane_dead_letters"].samples}
    assert dead["email"] >= 2
    webhooks = families["cleanplane_webhook_outcomes"].samples
    assert any(
        s.labels == {"source": "stripe", "outcome": "bad_signature"} and s.value >= 1
        for s in webhooks
    )
    assert "cleanplane_fleet_migration_results" in families
    circuit.reset_all()


def test_tenants_gauge_follows_status_changes(client, tenant, operator_headers, rt):
    def suspended():
        fams = _families(client.get("/metrics").get_data(as_text=True))
        return {s.labels["status"]: s.value for s in fams["cleanplane_tenants"].samples}[
            "suspended"
        ]

    before = suspended()
    from controlplane.tenants.lifecycle import change_status
    from shared import db

    change_status(tenant.id, "suspended", actor="test", reason="metrics")
    db.close_session()
    assert suspended() == before + 1


def test_5xx_are_counted_by_route_template(runtime):
    from flask import Flask

    from shared import web

    app = Flask("boom")
    web.init_app(app, runtime)
    metrics.init_app(app)

    @app.get("/explode/<int:n>")
    def explode(n):
        raise RuntimeError("kaboom")

    client = app.test_client()
    for n in range(3):
        assert client.get(f"/explode/{n}").status_code == 500
    value = metrics.REGISTRY.get_sample_value(
        "cleanplane_http_server_errors_total",
        {"app": "boom", "route": "/explode/<int:n>", "method": "GET"},
    )
    assert value == 3


def test_series_do_not_grow_with_distinct_urls(client, tenant):
    def hit(i: int) -> None:
        # A known tenant's templated route (401 without a token), an unknown slug and an
        # unknown control-plane path: three shapes, each with a fresh id in the URL.
        assert client.get(tenant.url(f"/admin/blackouts/{i}")).status_code == 405
        assert client.delete(tenant.url(f"/admin/blackouts/{i}")).status_code == 401
        assert client.get(f"/t/nobody-{i}/v1/admin/blackouts/{i}").status_code == 404
        assert client.get(f"/v1/no-such-thing/{i}").status_code == 404

    hit(0)
    before = _http_series()
    for i in range(1, 101):  # 400 requests, each URL new: any growth would show
        hit(i)
    after = _http_series()
    assert after == before
    routes = {dict(labels).get("route") for _, labels in after}
    assert "/v1/admin/blackouts/<int:blackout_id>" in routes
    assert not any(tenant.slug in (r or "") or "nobody-" in (r or "") for r in routes)


MULTIPROC_SCRIPT = """
import sys
from prometheus_client.parser import text_string_to_metric_families
from shared.runtime import Runtime
from shared.settings import Settings
from wsgi import create_wsgi
from werkzeug.test import Client

settings = Settings.from_env({}, app_env="test", database_url=sys.argv[1], redis_url=sys.argv[2],
                             log_level="WARNING")
client = Client(create_wsgi(settings))
for _ in range(3):
    client.get("/healthz")
text = client.get("/metrics").get_data(as_text=True)
fams = {f.name: f for f in text_string_to_metric_families(text)}
count = [s.value for s in fams["cleanplane_http_request_duration_seconds"].samples
         if s.name.endswith("_count") and s.labels["route"] == "/healthz"]
print(int(sum(count)))
"""


@pytest.mark.slow  # two more app processes start; the gunicorn set-up, not a request path
def test_multiprocess_mode_aggregates_worker_files(settings, tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR set (as under gunicorn) values go through the shared files."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    args = [sys.executable, "-c", MULTIPROC_SCRIPT, settings.database_url, settings.redis_url]
    first = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "3"
    assert list(tmp_path.glob("histogram_*.db"))
    # A second process (another "worker") sees the first one's requests plus its own.
    second = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "6"
