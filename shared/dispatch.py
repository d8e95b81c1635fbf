"""The WSGI dispatcher: ``/t/<slug>/...`` (or ``<slug>.<base domain>``) to the tenant app,
``/ops/rq/...`` to the rq-dashboard app, everything else to the control plane."""

from __future__ import annotations

import re

TENANT_SLUG_KEY = "cleanplane.tenant_slug"
# shared.tenancy.SLUG_RE: a label that cannot be a slug (a NUL, 5 000 characters) resolves to no
# tenant (404) without reaching the database, where a NUL in a text parameter was a 500.
_SLUG_SHAPE = re.compile(r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){2,39}$")


def _slug_or_nothing(label: str) -> str:
    return label if _SLUG_SHAPE.fullmatch(label) else ""


class Dispatcher:
    def __init__(self, control_plane, tenant_app, rq_app=None, base_domain: str = ""):
        self.control_plane = control_plane
        self.tenant_app = tenant_app
        self.rq_app = rq_app
        self.base_domain = base_domain.lower().strip(".")

    def _slug_from_host(self, environ) -> str | None:
        if not self.base_domain:
            return None
        host = (environ.get("HTTP_HOST") or "").split(":")[0].lower()
        suffix = "." + self.base_domain
        if host.endswith(suffix):
            label = host[: -len(suffix)]
            if label and "." not in label:
                return label
        return None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        slug = self._slug_from_host(environ)
        if slug is not None:
            environ[TENANT_SLUG_KEY] = _slug_or_nothing(slug)
            return self.tenant_app(environ, start_response)
        if path.startswith("/t/"):
            slug, _, rest = path[3:].partition("/")
            environ[TENANT_SLUG_KEY] = _slug_or_nothing(slug)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/t/" + slug
            environ["PATH_INFO"] = "/" + rest
            return self.tenant_app(environ, start_response)
        if self.rq_app is not None and (path == "/ops/rq" or path.startswith("/ops/rq/")):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/ops/rq"
            environ["PATH_INFO"] = path[len("/ops/rq") :] or "/"
            return self.rq_app(environ, start_response)
        return self.control_plane(environ, start_response)
