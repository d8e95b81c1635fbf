"""Schemathesis against both OpenAPI documents, in-process through the WSGI dispatcher.

Every operation gets a bounded, derandomized run: no 5xx, and every response (errors too, which
shared/api.py documents as problem+json) must match the documented status codes, content types
and schemas. Slow: part of ``make test-all`` only.
"""

from __future__ import annotations

import hypothesis
import pytest

from tests.fuzz.common import (
    CHECKS,
    excluded,
    headers_for,
    is_multipart,
    load_controlplane_schema,
    load_tenant_schema,
    make_tokens,
)

pytestmark = pytest.mark.slow

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


@pytest.fixture(scope="module")
def fuzz_tokens(wsgi_app):
    return make_tokens(wsgi_app)


@pytest.fixture(scope="module")
def controlplane_tokens(wsgi_app):
    """Its own tenant: the control plane's POST /v1/auth/logout ends the staff session, which
    left every staff operation of the tenant run a 401 when they shared one."""
    return make_tokens(wsgi_app)


def _excluded(case) -> bool:
    # Multipart uploads: schemathesis cannot make a valid image, so every case is a 415/422;
    # tests/photos upload real JPEG/PNG/WebP bytes.
    return excluded(case.operation) or is_multipart(case.operation)


@pytest.fixture(scope="module")
def controlplane_schema(wsgi_app):
    return load_controlplane_schema(wsgi_app)


@pytest.fixture(scope="module")
def tenant_schema(wsgi_app, fuzz_tokens):
    return load_tenant_schema(wsgi_app, fuzz_tokens["tenant"].slug)


def _operation_test(operation, tokens):
    @FUZZ_SETTINGS
    @hypothesis.given(case=operation.as_strategy())
    def check(case):
        if _excluded(case):
            return
        case.call_and_validate(headers=headers_for(case, tokens), checks=CHECKS)

    return check


def _fuzz(schema, tokens):
    """Every operation in turn (schemathesis' lazy pytest integration needs pytest < 9's
    internals, so the loop is ours); failures are collected so one run reports all of them."""
    failures = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            _operation_test(operation, tokens)()
        except (Exception, BaseExceptionGroup) as exc:  # reported below, all at once
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:3000]}")
        ran += 1
    assert ran > 5
    assert not failures, "\n\n".join(failures)


def test_controlplane_api(controlplane_schema, controlplane_tokens):
    _fuzz(controlplane_schema, controlplane_tokens)


def test_tenant_api(tenant_schema, fuzz_tokens):
    _fuzz(tenant_schema, fuzz_tokens)
