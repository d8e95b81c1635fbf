"""Alerting shipped with the product (SPEC §8): ops/prometheus/alerts.yml and ops/grafana/cleanplane.json.

promtool checks and unit-tests the rules; every series the rules and the dashboard name must be in
the app's own ``/metrics`` after some traffic, so a renamed metric breaks this test, not the pager.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete

from devstack import promtool

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "ops" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "ops" / "prometheus" / "alerts_test.yml"
DASHBOARD = ROOT / "ops" / "grafana" / "cleanplane.json"
METRIC_NAME = re.compile(r"\bcleanplane_[a-z0-9_]+")

# SPEC §8's list, each with the alert(s) that cover it.
SPEC_ALERTS = {
    "5xx ratio": {"CleanplaneHigh5xxRatio"},
    "p95 latency by route": {"CleanplaneRouteLatencyP95High"},
    "job heartbeat stale": {
        "CleanplaneSchedulerHeartbeatStale",
        "CleanplaneWorkerHeartbeatStale",
        "CleanplanePipelineHeartbeatStale",
    },
    "outbox lag": {"CleanplaneOutboxDeliveryLagHigh", "CleanplaneOutboxStuck"},
    "DLQ depth growing": {"CleanplaneDeadLettersGrowing"},
    "fleet migration failures": {"CleanplaneFleetMigrationFailures"},
    "warm pool empty": {"CleanplaneWarmPoolEmpty"},
    "Stripe webhook failures": {"CleanplaneStripeWebhookFailures"},
    "Twilio webhook failures": {"CleanplaneTwilioWebhookFailures"},
    "circuit open": {"CleanplaneCircuitOpen"},
    "Postgres backend memory": {"CleanplanePostgresBackendMemoryHigh"},
}


@pytest.fixture(scope="module")
def promtool_path() -> str:
    path = promtool.find()
    if path is None:
        pytest.fail(f"{promtool.HOW}; `make promtool` installs it when run as root", pytrace=False)
    return path


def _rules() -> list[dict]:
    doc = yaml.safe_load(RULES.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


def test_alert_rules_pass_promtool_check(promtool_path):
    done = subprocess.run(
        [promtool_path, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in done.stdout


def test_alert_rules_unit_tests_pass(promtool_path):
    done = subprocess.run(
        [promtool_path, "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_is_unit_tested_and_the_spec_list_is_covered():
    names = {rule["alert"] for rule in _rules()}
    for item, alerts in SPEC_ALERTS.items():
        assert alerts <= names, f"SPEC §8 alert {item!r} is missing"
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    tested = {case["alertname"] for t in tests for case in t.get("alert_rule_test", [])}
    firing = {
        case["alertname"]
        for t in tests
        for case in t.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert names == tested, f"alerts without a promtool test: {names - tested}"
    assert names == firing, f"alerts never shown to fire: {names - firing}"
    for rule in _rules():
        assert rule["labels"]["severity"] in {"page", "warning"}
        assert rule["annotations"]["summary"] and rule["annotations"]["runbook"]


def test_dashboard_is_grafana_json_with_a_datasource_variable():
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] == "cleanplane" and dash["title"]
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dash["panels"]:
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}"


def _failing_stripe_webhook(runtime, monkeypatch):
    """A correctly signed event whose handling fails because the database is away: 503."""
    from controlplane.billing import routes
    from shared.errors import ServiceUnavailable
    from tests.stripe_stub import sign
    from tests.support import ApiClient
    from wsgi import create_wsgi

    secret = "whsec_alerting_" + "c" * 32
    client = ApiClient(create_wsgi(runtime.settings.replace(stripe_webhook_secret=secret)))

    def unavailable(event):
        raise ServiceUnavailable("The database is unavailable.")

    monkeypatch.setattr(routes, "handle_event", unavailable)
    payload = json.dumps({"id": "evt_alerting", "type": "invoice.paid", "data": {}}).encode()
    return client.post(
        "/v1/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret, None)},
        content_type="application/json",
    )


def _traffic(client, tenant, runtime, monkeypatch) -> None:
    """Requests (one 503), webhooks, a real outbox delivery, a job run, a fleet result."""
    from controlplane.mail.models import PlatformOutboxMessage
    from jobs import queues
    from jobs.decorators import job
    from jobs.heartbeat import SCHEDULER, beat
    from shared import db, metrics
    from shared.outbox.delivery import Handler, deliver_due
    from shared.outbox.dlq import DlqEntry

    @job(queue=queues.DEFAULT)
    def alerting_probe_job():
        raise RuntimeError("this run fails on purpose")

    client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    client.post("/v1/stripe/webhook", data=b"{}", headers={"Stripe-Signature": "t=1,v1=x"})
    assert _failing_stripe_webhook(runtime, monkeypatch).status_code == 503
    with pytest.raises(RuntimeError):
        alerting_probe_job()  # counted by the job decorator
    beat(runtime.redis, SCHEDULER, "alerting-probe")
    with runtime.owner_engine.begin() as conn:
        conn.execute(
            DlqEntry.__table__.insert().values(scope="alerting-probe", kind="email", dead_count=1)
        )
        row_id = conn.execute(
            PlatformOutboxMessage.__table__.insert()
            .values(dedupe_key="alerting-probe", kind="email", topic="probe", recipient="x@y.z")
            .returning(PlatformOutboxMessage.id)
        ).scalar_one()
    try:
        report = deliver_due(
            PlatformOutboxMessage,
            {"email": Handler(lambda message, now: "probe-ref")},
            only_ids=[row_id],
        )
        assert report.sent == 1
        db.close_session()
        # A fleet run that has tenants to migrate is a fleet test of its own (tests/fleet/); the
        # counter here is the one controlplane/fleet/service.py increments per tenant.
        metrics.fleet_migration_result("failed", 0.1)
    finally:
        with runtime.owner_engine.begin() as conn:
            conn.execute(delete(DlqEntry).where(DlqEntry.scope == "alerting-probe"))
            conn.execute(delete(PlatformOutboxMessage).where(PlatformOutboxMessage.id == row_id))
        runtime.redis.zrem("cp:heartbeats:" + SCHEDULER, "alerting-probe")


def test_every_metric_in_the_rules_and_dashboard_is_exported(client, tenant, rt, monkeypatch):
    from shared import circuit

    circuit.breaker("stripe")
    _traffic(client, tenant, rt, monkeypatch)
    text = client.get("/metrics").get_data(as_text=True)
    exported = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    referenced = set()
    for expr in [rule["expr"] for rule in _rules()] + _dashboard_exprs():
        referenced |= set(METRIC_NAME.findall(expr))
    assert referenced, "no metric names found in the rules"
    missing = referenced - exported
    assert not missing, f"named in alerts/dashboard but not exported by /metrics: {sorted(missing)}"
    # The dashboard shows every alerting series too (one place to look when a page comes in).
    dashboard_names = set()
    for expr in _dashboard_exprs():
        dashboard_names |= set(METRIC_NAME.findall(expr))
    rule_names = set()
    for rule in _rules():
        rule_names |= set(METRIC_NAME.findall(rule["expr"]))
    assert rule_names <= dashboard_names, rule_names - dashboard_names


def test_new_gauges_carry_real_values(client, tenant, rt, monkeypatch):
    """Heartbeat ages, warm pool, outbox delivery lag and backend memory come from the real paths."""
    from jobs.heartbeat import SCHEDULER, beat

    beat(rt.redis, SCHEDULER, "alerting-gauges")
    try:
        _traffic(client, tenant, rt, monkeypatch)
        text = client.get("/metrics").get_data(as_text=True)
    finally:
        rt.redis.zrem("cp:heartbeats:" + SCHEDULER, "alerting-gauges")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert samples[("cleanplane_job_heartbeat_age_seconds", (("kind", "scheduler"),))] < 60
    assert samples[("cleanplane_warm_pool_target", ())] == rt.settings.tenant_pool_size
    assert samples[("cleanplane_warm_pool_ready", ())] >= 0
    # the probe row was committed moments before its delivery
    lag_count = samples[
        ("cleanplane_outbox_delivery_lag_seconds_count", (("kind", "email"), ("plane", "control")))
    ]
    assert lag_count >= 1
    memory = samples[("cleanplane_db_backend_memory_bytes", ())]
    assert 1_000_000 < memory < 2_000_000_000  # a real backend: some MB, not zero


def test_a_stripe_event_whose_handling_fails_is_counted_as_failed(runtime, monkeypatch):
    """A verified event that could not be processed (here: the database is away) counts as
    ``failed`` for the Stripe webhook alert; Stripe redelivers it."""
    from shared import metrics

    labels = {"source": "stripe", "outcome": "failed"}
    before = metrics.REGISTRY.get_sample_value("cleanplane_webhook_outcomes_total", labels) or 0
    assert _failing_stripe_webhook(runtime, monkeypatch).status_code == 503
    after = metrics.REGISTRY.get_sample_value("cleanplane_webhook_outcomes_total", labels)
    assert after == before + 1


def test_make_promtool_explains_what_to_install_when_it_cannot(monkeypatch, capsys):
    """No promtool and not root: a clear message and exit 1, never a silent skip."""
    monkeypatch.setattr(promtool.shutil, "which", lambda name: None)
    monkeypatch.setattr(promtool.os, "geteuid", lambda: 1000)
    assert promtool.main() == 1
    err = capsys.readouterr().err
    assert "install the Debian package 'prometheus'" in err and "not root" in err
