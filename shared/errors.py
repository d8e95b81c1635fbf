"""One error hierarchy and one RFC 9457 problem+json handler, used by both apps."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import redis
from flask import Flask, Response, json, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

PROBLEM_BASE = "https://cleanplane.dev/problems/"
PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger("cleanplane.errors")

_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class AppError(Exception):
    """A domain error that renders as problem details with a status and a code."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        if status:
            self.status = status
        if title:
            self.title = title
        self.headers = headers or {}
        self.extra = extra


class BadRequest(AppError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class ValidationFailed(AppError):
    status, code, title = 422, "validation_failed", "Validation failed"

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None):
        super().__init__(detail or "The request has invalid fields.", errors=errors)


class LimitReached(AppError):
    status, code, title = 402, "limit_reached", "Plan limit reached"


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "Service unavailable"


def field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([{"field": field, "message": message}])


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn marshmallow's nested message dicts into ``[{field, message}]`` with dotted paths."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            if key == "_schema":
                name = prefix
            out.extend(flatten_messages(value, name))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out.extend({"field": prefix, "message": m} for m in messages)
        else:
            for item in messages:
                out.extend(flatten_messages(item, prefix))
    else:
        out.append({"field": prefix, "message": str(messages)})
    return out


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    resp = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _handle_app_error(err: AppError) -> Response:
    if err.status >= 500:
        log.error("request failed: %s", err.code, extra={"code": err.code})
    else:
        log.warning("request refused: %s %s", err.status, err.code)
    return problem_response(
        err.status, err.code, err.title, err.detail, headers=err.headers, **err.extra
    )


def _handle_http_exception(err: HTTPException) -> Response:
    status = err.code or 500
    if status == 500 and is_outage(getattr(err, "original_exception", None)):
        # Flask wraps what escaped an after_request hook in InternalServerError.
        return outage_response(err.original_exception)
    code = _DEFAULT_CODES.get(status, "error")
    data = getattr(err, "data", None) or {}
    messages = data.get("messages")
    headers = dict(err.get_headers()) if status in (405, 429) else {}
    headers.pop("Content-Type", None)
    if status == 422 and messages:
        # webargs puts messages under the location ("json", "query", ...): drop that level.
        inner: dict[str, Any] = {}
        for value in messages.values():
            if isinstance(value, dict):
                inner.update(value)
        errors = flatten_messages(inner or messages)
        return problem_response(
            422,
            "validation_failed",
            "Validation failed",
            "The request has invalid fields.",
            errors=errors,
        )
    if status == 400 and messages:
        return problem_response(
            400, "bad_request", "Bad request", "The request body is not valid JSON."
        )
    if status == 413:
        return problem_response(413, "payload_too_large", "Payload too large", err.description)
    if status == 429:
        # flask-limiter's RateLimitExceeded carries the breached limit: retry after its window
        # (its own header injection is off, it cost two Redis round trips per request).
        item = getattr(getattr(err, "limit", None), "limit", None)
        window = item.get_expiry() if item is not None else None
        retry = headers.get("Retry-After") or str(window or 60)
        return problem_response(
            429,
            "rate_limited",
            "Too many requests",
            "Rate limit exceeded; retry later.",
            headers={"Retry-After": retry},
        )
    return problem_response(status, code, err.name, err.description, headers=headers)


# A database or Redis that cannot be reached (refused, lost mid-request, pool exhausted, server
# shutting down) is an outage, not a bug: 503 with Retry-After, never 500 (SPEC §8).
OUTAGE_RETRY_AFTER = "5"
_OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # pool checkout timed out: every connection busy or unreachable
    sa_exc.DisconnectionError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
)


def is_outage(err: BaseException | None) -> bool:
    """True when ``err`` (or what it wraps) says a backing service is unreachable."""
    seen = 0
    while err is not None and seen < 5:
        if isinstance(err, _OUTAGE_TYPES):
            return True
        if isinstance(err, sa_exc.DBAPIError) and err.connection_invalidated:
            return True
        err = getattr(err, "original_exception", None) or err.__cause__
        seen += 1
    return False


def outage_response(err: BaseException) -> Response:
    log.warning(
        "service unavailable on %s %s: %s",
        request.method,
        request.path,
        type(err).__name__,
        extra={"code": "service_unavailable"},
    )
    return problem_response(
        503,
        "service_unavailable",
        "Service unavailable",
        "A backing service is unavailable; retry shortly.",
        headers={"Retry-After": OUTAGE_RETRY_AFTER},
    )


def _handle_unexpected(err: Exception) -> Response:
    if isinstance(err, HTTPException):
        return _handle_http_exception(err)
    if is_outage(err):
        return outage_response(err)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem_response(
        500, "internal_error", "Internal server error", "An unexpected error occurred."
    )


def register_error_handlers(app: Flask) -> None:
    """Install the problem+json handlers; call after ``Api(app)`` so they replace smorest's."""
    app.register_error_handler(AppError, _handle_app_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
