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
    """Statuses per operation label, and the labels that mostly reject, need ids, and need
    ids that no link supplies (what the stateful run cannot reach either)."""
    statuses: dict[str, collections.Counter] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if excluded(operation) or is_multipart(operation):
            continue
        statuses[operation.label] = _statuses(operation, tokens)
    report = {"mostly_rejects": [], "needs_ids": [], "needs_ids_unlinked": []}
    linked = schema.operations_with_incoming_links()
    for label, counts in statuses.items():
        codes = {k: v for k, v in counts.items() if isinstance(k, int)}
        stat = StatusCodeStatistic(counts=codes, total=sum(codes.values()))
        if stat.should_warn_about_validation_mismatch():
            report["mostly_rejects"].append(label)
        if stat.should_warn_about_missing_test_data():
            report["needs_ids"].append(label)
            if label not in linked:
                report["needs_ids_unlinked"].append(label)
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
    assert set(report["needs_ids_unlinked"]) <= set(UNLINKED_WITH_REASON), report


def test_tenant_documents_its_validation(wsgi_app):
    strict_tokens = make_tokens(wsgi_app, seed=True)
    schema = load_tenant_schema(wsgi_app, strict_tokens["tenant"].slug)
    statuses, report = classify(schema, strict_tokens)
    _print("tenant", statuses, report)
    assert set(report["mostly_rejects"]) <= set(REJECTS_WITH_REASON), report


# Operations that still refuse schema-valid data, and why no schema can say more.
_RANGE = (
    "from/to must be ordered and span at most the endpoint's limit: a rule across query parameters"
)
_SECRET = "takes a signed or random token only an e-mail carries: any other is refused"
REJECTS_WITH_REASON: dict[str, str] = {
    "POST /v1/auth/password-reset/confirm": _SECRET,
    "POST /v1/auth/verify-email": _SECRET,
    "GET /unsubscribe": _SECRET,
    "POST /unsubscribe": _SECRET,
    "POST /worker/accept-invite": _SECRET,
    "PUT /admin/pricing": "the config's JSON Schema is published (tenantapp/pricing/"
    "config_schema.py); refused are add-on names (OpenAPI 3.0 has no propertyNames: any key is "
    "generated) and rules across rows (thresholds that rise, one row per beds and baths)",
    "POST /admin/blackouts": "starts_at before ends_at, both in the years 1900-2999 "
    "(shared/input_limits.py): rules a date-time format cannot carry",
    "POST /admin/bookings/{booking_id}/move": "the new start must be a free, future slot of the "
    "team's calendar: state, not shape",
    "GET /slots": "lead_id needs its lead_token, else service_type and time_on_site_hours: a rule "
    "across query parameters OpenAPI cannot state",
    # Staff bookings and crews (issue 21): the ids must name rows that exist together.
    "POST /admin/bookings": "customer_id and property_id must name a customer and one of their "
    "live properties, starts_at a future time a team is free: state, not shape",
    "POST /admin/bookings/{booking_id}/workers": "the workers must exist, be active and be free "
    "at the booking's time: state, not shape",
    "POST /admin/bookings/{booking_id}/assign": "the worker must exist, be active and be free at "
    "the booking's time: state, not shape",
    # Seen after merging the jobs branch (issue 20), not yet investigated: refusals that depend on
    # the message's state, not on the request's shape.
    "POST /admin/outbox/{message_id}/replay": "depends on the message's state (not investigated)",
    "POST /admin/exports/{message_id}/replay": "depends on the message's state (not investigated)",
    # Public lead and booking intake: every field states its type, length, pattern or enum, and
    # unknown fields are refused; what is still refused is not shape.
    "POST /leads": "phone must be a dialable number (libphonenumber's validity: ranges per country "
    "and area code), preferred dates lie in the years 1900-2999 (a date format cannot bound "
    "them) and add-on names must exist in the workspace's own pricing config",
    "POST /bookings": "lead_id needs its lead_token (proof of the lead) and starts_at must be a "
    "free, future 30-minute slot of the calendar: state, not shape",
    "POST /bookings/{booking_id}/reschedule": "the manage token and a free, future slot: state",
    # Found by the first slow run after plans, invoices, timesheets and reports merged (issues
    # 22-24): reasons read from each schema's cross-field validator and service, checked against
    # the 422s' fields for the ranges, not yet one by one for the state refusals.
    "GET /admin/timesheets": _RANGE,
    "GET /admin/reports/payments": _RANGE,
    "GET /admin/reports/tax": _RANGE,
    "GET /admin/plans/{plan_id}/schedule": _RANGE,
    "POST /admin/invoices": "booking_id, or customer_id with lines (a rule across fields), and "
    "the booking must be invoiceable and not invoiced yet: state",
    "PATCH /admin/invoices/{invoice_id}": "only a draft changes, and a negative line must be a "
    "discount: state and a rule across fields",
    "POST /admin/invoices/{invoice_id}/payments": "the invoice must be issued and the amount at "
    "most what is due (an overpayment is 422): state",
    "POST /admin/invoices/{invoice_id}/refunds": "at most what was paid and not yet refunded: state",
    "POST /admin/invoices/{invoice_id}/credit-notes": "at most what the invoice still bills: state",
    "POST /admin/leads/bulk": "the ids must name leads whose status allows the action: state",
    "POST /admin/plans": "an RFC 5545 rule (a grammar a pattern cannot state), a first date in the "
    "future, and a customer and property that exist together: grammar and state",
    "PATCH /admin/plans/{plan_id}": "effective_from must be a future date of the plan, the rule a "
    "valid RFC 5545 text: state and grammar",
    "POST /admin/plans/{plan_id}/pause": "the plan must be active and the pause within 1-8 weeks "
    "from a future date: state",
    "POST /admin/plans/{plan_id}/cancel": "the plan must not be cancelled or ended already: state",
}

# Operations that need an id no link supplies, and why.
_PHOTO = "photo ids come only from a multipart upload, which the fuzz cannot make valid"
_INVITE = "invitation tokens travel only by e-mail"
UNLINKED_WITH_REASON: dict[str, str] = {
    "GET /v1/invitations/{token}": _INVITE,
    "POST /v1/invitations/{token}/accept": _INVITE,
    "DELETE /admin/bookings/{booking_id}/photos/{photo_id}": _PHOTO,
    "GET /admin/bookings/{booking_id}/photos/{photo_id}": _PHOTO,
    "GET /admin/bookings/{booking_id}/photos/{photo_id}/signed-url": _PHOTO,
    "POST /admin/bookings/{booking_id}/photos/{photo_id}/review": _PHOTO,
    "DELETE /worker/jobs/{booking_id}/photos/{photo_id}": _PHOTO,
    "GET /worker/jobs/{booking_id}/photos/{photo_id}/signed-url": _PHOTO,
    "GET /slots": "lead_id needs its lead_token, which only POST /leads returns to the visitor",
    "POST /bookings": "its lead_id is in the body; an OpenAPI link can only replace a whole body",
    "GET /bookings/{booking_id}": "the manage token is in manage_url only (lead_token work)",
    "POST /bookings/{booking_id}/cancel": "the manage token is in manage_url only",
    "POST /bookings/{booking_id}/reschedule": "the manage token is in manage_url only",
}
