"""Operators see the due-work index in /v1/ops/jobs and in the Prometheus gauges."""

from __future__ import annotations

import time
import uuid

from prometheus_client.parser import text_string_to_metric_families

from jobs import duework


def test_ops_jobs_shows_the_index(client, rt, operator_headers):
    now = time.time()
    duework.signal(rt.redis, uuid.uuid4(), "outbox", now - 600)
    duework.signal(rt.redis, uuid.uuid4(), "janitor", now + 600)
    duework.park(rt.redis, uuid.uuid4(), "deposits", now)
    resp = client.get("/v1/ops/jobs", headers=operator_headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    due = resp.get_json()["due_work"]
    assert due["size"] == 2 and due["due_now"] == 1 and due["parked"] == 1
    assert 600 <= due["oldest_due_age_seconds"] < 660
    kinds = {k["kind"]: k for k in due["kinds"]}
    assert kinds["outbox"] == {"kind": "outbox", "entries": 1, "due_now": 1}
    assert kinds["janitor"] == {"kind": "janitor", "entries": 1, "due_now": 0}
    assert kinds["reminders"]["entries"] == 0


def test_metrics_show_index_size_and_oldest_due_entry(client, rt):
    now = time.time()
    duework.signal(rt.redis, uuid.uuid4(), "outbox", now - 400)
    duework.signal(rt.redis, uuid.uuid4(), "reminders", now + 400)
    resp = client.get("/metrics")
    assert resp.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(resp.get_data(as_text=True))}
    entries = {s.labels["state"]: s.value for s in families["cleanplane_due_work_entries"].samples}
    assert entries == {"scheduled": 1, "due": 1, "parked": 0}
    [oldest] = families["cleanplane_due_work_oldest_due_seconds"].samples
    assert 400 <= oldest.value < 460
