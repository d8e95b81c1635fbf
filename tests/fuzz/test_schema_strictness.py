"""Are the documents as strict as the validation? Positive (schema-valid) data for every
operation, sent with the operation's own credentials, classified the way schemathesis' CLI does
(``schemathesis.cli.commands.run.warnings``): an operation that accepted nothing and answered
mostly 400/422 "mostly rejects generated data" (the document is looser than the code), one that
answered mostly 404 "needs ids no link supplies". Slow: part of ``make test-all`` only.

``python -m pytest -m slow tests/fuzz/test_schema_strictness.py -s`` prints both lists.
"""

from __future__ import annotations

import collections

import hypothesis
import pytest
from schemathesis.cli.commands.run.warnings import StatusCodeStatistic

from tests.fuzz.common import (
    excluded,
    headers_for,
    is_multipart,
    load_controlplane_schema,
    load_tenant_schema,
    make_tokens,
)

pytestmark = pytest.mark.slow

SETTINGS = hypothesis.settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    suppress_health_check=list(hypothesis.HealthCheck),
)


def _statuses(operation, tokens) -> collections.Counter:
    counts: collections.Counter = collections.Counter()

    @SETTINGS
    @hypothesis.given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=headers_for(case, tokens))
        counts[response.status_code] += 1
        if response.status_code in (400, 422) and (response.status_code, "why") not in counts:
            problem = response.json() if "json" in response.headers.get("Content-Type", "") else {}
            counts[(response.status_code, "why")] = str(problem.get("errors") or problem)[:200]

    run()
    return counts


def classify(schema, tokens) -> tuple[dict, dict]:
    """Statuses per operation label, then {"mostly_rejects": [...], "needs_ids": [...]}."""
    statuses: dict[str, collections.Counter] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if excluded(operation) or is_multipart(operation):
            continue
        statuses[operation.label] = _statuses(operation, tokens)
    report = {"mostly_rejects": [], "needs_ids": []}
    for label, counts in statuses.items():
        codes = {k: v for k, v in counts.items() if isinstance(k, int)}
        stat = StatusCodeStatistic(counts=codes, total=sum(codes.values()))
        if stat.should_warn_about_validation_mismatch():
            report["mostly_rejects"].append(label)
        if stat.should_warn_about_missing_test_data():
            report["needs_ids"].append(label)
    return statuses, report


def _print(name, statuses, report):
    for kind, labels in report.items():
        print(f"\n{name} {kind}: {len(labels)}")
        for label in sorted(labels):
            print(f"  {label}  {dict(statuses[label])}")


def test_controlplane_documents_its_validation(wsgi_app):
    # Own tenant per document: the control plane's POST /v1/auth/logout ends its staff session.
    statuses, report = classify(load_controlplane_schema(wsgi_app), make_tokens(wsgi_app))
    _print("controlplane", statuses, report)
    assert set(report["mostly_rejects"]) <= set(REJECTS_WITH_REASON), report


def test_tenant_documents_its_validation(wsgi_app):
    strict_tokens = make_tokens(wsgi_app, seed=True)
    schema = load_tenant_schema(wsgi_app, strict_tokens["tenant"].slug)
    statuses, report = classify(schema, strict_tokens)
    _print("tenant", statuses, report)
    assert set(report["mostly_rejects"]) <= set(REJECTS_WITH_REASON), report


# Operations whose refusals depend on state or secrets no schema can express.
REJECTS_WITH_REASON: dict[str, str] = {}
