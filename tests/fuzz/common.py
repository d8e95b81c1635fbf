"""What the schemathesis runs in this folder share: checks, credentials per operation, the
operations left out (each with its reason) and how each document is loaded."""

from __future__ import annotations

import base64

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import OPERATOR
from tests.photos.conftest import make_booking as make_photo_booking
from tests.photos.conftest import png_bytes, upload
from tests.support import ApiClient, signup
from tests.workforce.helpers import assign, make_booking, make_worker

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Operations that cannot be fuzzed meaningfully, and why.
EXCLUDED = {
    # Stripe webhooks are authenticated by an HMAC signature over the raw body: every generated
    # request is (correctly) a 400; tests/billing and tests/payments cover them with signed events.
    ("POST", "/v1/stripe/webhook"),
    ("POST", "/v1/stripe/connect-webhook"),
    # Stripe Connect onboarding calls the Stripe API, which this process has no key for: a
    # correct, documented 503 payment_provider_unavailable every time (tests/payments uses a stub).
    ("POST", "/admin/payments/connect"),
}


def operator_basic() -> dict:
    raw = base64.b64encode(":".join(OPERATOR).encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def make_tokens(wsgi_app, *, seed: bool = False) -> dict:
    """A fresh tenant with a logged-in worker; with ``seed``, two bookings (one assigned to the
    worker, with a photo) so list operations have ids for their links to hand on."""
    client = ApiClient(wsgi_app)
    tenant = signup(client)
    worker = make_worker(client, tenant)
    if seed:
        make_booking(client, tenant)
        booking_id = make_photo_booking(client, tenant, weeks=5)  # photo consent given
        assert assign(client, tenant, booking_id, worker.id).status_code == 200
        assert upload(client, tenant, booking_id, png_bytes()).status_code == 201
    return {
        "tenant": tenant,
        "staffToken": tenant.headers,
        "workerToken": worker.headers,
        "operatorBasic": operator_basic(),
        "operatorToken": operator_basic(),
    }


def headers_for(case, tokens) -> dict:
    """The credentials the operation's first satisfiable security requirement asks for."""
    security = case.operation.definition.raw.get("security")
    if not security:
        return {}
    for requirement in security:
        for scheme in requirement:
            if scheme in tokens:
                return dict(tokens[scheme])
    return {}


def is_multipart(operation) -> bool:
    return any("multipart/form-data" in (body.media_type or "") for body in operation.body)


def excluded(operation) -> bool:
    return (operation.method.upper(), operation.path) in EXCLUDED


def load_controlplane_schema(wsgi_app):
    return schemathesis.openapi.from_wsgi("/v1/openapi.json", wsgi_app)


def load_tenant_schema(wsgi_app, slug: str):
    doc = ApiClient(wsgi_app).get(f"/t/{slug}/v1/openapi.json").get_json()
    doc["servers"] = [{"url": f"/t/{slug}/v1"}]
    schema = schemathesis.openapi.from_dict(doc)
    schema.app = wsgi_app
    return schema
