"""``GET /metrics``: the Prometheus exposition, behind ``Bearer <METRICS_TOKEN>`` when one is set.

Production refuses to start without ``METRICS_TOKEN`` (SPEC §7), so the endpoint is never open there.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app

from shared import metrics
from shared.auth.guards import bearer_token
from shared.errors import Unauthorized

blp = Blueprint("metrics", __name__)


def _check_token(settings) -> None:
    expected = settings.metrics_token
    if not expected and not settings.is_prod:
        return
    given = bearer_token() or ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("The metrics token is required.", headers={"WWW-Authenticate": "Bearer"})


@blp.get("/metrics")
def scrape():
    runtime = current_app.extensions["cleanplane"]
    _check_token(runtime.settings)
    body, content_type = metrics.render(runtime)
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
