"""The flask-smorest ``Api`` setup both apps share: security schemes, problem responses, docs."""

from __future__ import annotations

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api
from marshmallow import fields
from werkzeug.routing import IntegerConverter

from shared import apidocs

BIGINT_MAX = 2**63 - 1
INTEGER_MAX = 2**31 - 1  # a Postgres INTEGER column


class BigintConverter(IntegerConverter):
    """``<int:id>`` bounded to Postgres bigint: a larger id is simply no such object (404), not a
    NumericValueOutOfRange 500 from the driver."""

    def __init__(self, map, **kwargs):
        kwargs.setdefault("max", BIGINT_MAX)
        super().__init__(map, **kwargs)


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    "400": "Bad request (malformed JSON or a refused value)",
    "401": "Missing or invalid credentials",
    "402": "Plan limit reached",
    "403": "Not allowed (wrong tenant, role, token type or suspended workspace)",
    "404": "Unknown workspace or object",
    "409": "Conflict with the current state",
    "413": "Payload too large",
    "415": "Unsupported media type",
    "422": "Validation failed",
    "429": "Rate limited",
    "503": "Temporarily unavailable",
}


def problem_ref(status: str) -> dict:
    return {
        "description": _DESCRIPTIONS.get(status, "Error"),
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def problems(*codes: str) -> dict:
    """Problem responses for ``@blp.doc(responses=...)``: the codes the plugin cannot infer
    (402, 409, ...)."""
    return {code: problem_ref(code) for code in codes}


class ProblemResponses(BasePlugin):
    """Documents the error responses every operation can give, from its security and shape."""

    def __init__(self, strip_prefix: str = "", tenant_scoped: bool = False):
        self.strip_prefix = strip_prefix
        self.tenant_scoped = tenant_scoped

    def path_helper(self, path=None, operations=None, **kwargs):
        if self.strip_prefix and path and path.startswith(self.strip_prefix):
            return path[len(self.strip_prefix) :] or "/"
        return None

    def schema_helper(self, name, definition, **kwargs):
        """A marshmallow schema's ``OPENAPI_EXTRA`` (rules across its fields, e.g.
        ``minProperties``) joins its component, so the document says what ``validates_schema``
        enforces."""
        schema = kwargs.get("schema")
        cls = schema if isinstance(schema, type) else type(schema) if schema is not None else None
        return dict(getattr(cls, "OPENAPI_EXTRA", None) or {})

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, op in (operations or {}).items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = op.setdefault("responses", {})
            codes = {"400", "429"}
            if op.get("requestBody") or op.get("parameters"):
                codes.add("422")
            if op.get("security") != []:
                codes |= {"401", "403"}
            if self.tenant_scoped or "{" in (path or ""):
                codes.add("404")
            if self.tenant_scoped:
                codes.add("503")
            for code in codes:
                responses.setdefault(code, problem_ref(code))
            # flask-smorest's catch-all says application/json with its own Error schema; every
            # error this API sends is problem+json (shared/errors.py), so say that instead.
            if "default" in responses:
                responses["default"] = problem_ref("default")


def _decimal_bounds_as_numbers(self, field, ret, **kwargs) -> dict:
    """apispec serializes a Decimal field's Range bounds with the field itself, so they come out
    as strings ("24.00") under ``type: number``: an invalid schema. Bounds are numbers."""
    if not isinstance(field, fields.Decimal):
        return {}
    return {k: float(ret[k]) for k in ("minimum", "maximum") if k in ret}


def _decimal_strings(self, field, ret, **kwargs) -> dict:
    """A Decimal field with ``as_string`` is written back as text ("5.000") and read from a
    number or a string: documented as either, the number keeping its bounds. As ``type: number``
    alone every response broke its own schema."""
    if not (isinstance(field, fields.Decimal) and field.as_string):
        return {}
    number = {"type": "number", **{k: ret.pop(k) for k in ("minimum", "maximum") if k in ret}}
    ret.pop("type", None)
    return {"anyOf": [number, {"type": "string", "pattern": DECIMAL_PATTERN}]}


DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
NO_NUL_PATTERN = r"^[^\x00]*$"


def _strings_refuse_nul(self, field, ret, **kwargs) -> dict:
    """Every request with a NUL character is a 400 (``shared.web``: Postgres text cannot hold
    one); strings say so, unless a format, enum or pattern already rules it out."""
    if isinstance(field, fields.String) and not {"format", "enum", "pattern"} & set(ret):
        return {"pattern": NO_NUL_PATTERN}
    return {}


def make_api(
    app: Flask,
    *,
    title: str,
    strip_prefix: str = "",
    tenant_scoped: bool = False,
    servers: list | None = None,
) -> Api:
    app.url_map.converters["int"] = BigintConverter
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    if servers:
        app.config["API_SPEC_OPTIONS"] = {"servers": servers}
    api = Api(
        app,
        spec_kwargs={"extra_plugins": [ProblemResponses(strip_prefix, tenant_scoped)]},
    )
    api.ma_plugin.converter.add_attribute_function(_decimal_bounds_as_numbers)
    api.ma_plugin.converter.add_attribute_function(_decimal_strings)
    api.ma_plugin.converter.add_attribute_function(_strings_refuse_nul)
    apidocs.init_app(app, title)  # Swagger UI at /v1/docs from vendored files, not a CDN
    api.spec.components.schema("Problem", PROBLEM_SCHEMA)
    api.spec.components.security_scheme(
        "staffToken", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    api.spec.components.security_scheme(
        "workerToken", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    api.spec.components.security_scheme("operatorBasic", {"type": "http", "scheme": "basic"})
    api.spec.components.security_scheme(
        "operatorToken", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    return api


def link(method: str, path: str, description: str = "", **parameters: str) -> dict:
    """One OpenAPI link to the operation ``method path`` (the path as the document shows it),
    its parameters given as runtime expressions (``"$response.body#/id"``). Clients and the
    stateful fuzzer (tests/fuzz) follow them to chain create → read → update → delete."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    out: dict = {"operationRef": f"#/paths/{pointer}/{method.lower()}", "parameters": parameters}
    if description:
        out["description"] = description
    return out


def links(status: int | str, **named: dict) -> dict:
    """``@blp.doc(**links(201, GetLead=link(...)))``: links on one documented response."""
    return {"responses": {str(status): {"links": named}}}
