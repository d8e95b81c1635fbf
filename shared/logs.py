"""Structured JSON logs with request, tenant and user ids; secrets and contact data redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from gunicorn import glogging

_REDACT_KEYS = re.compile(
    r"(password|secret|token|authorization|api_key|email|phone|cookie)", re.IGNORECASE
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Phone numbers as people write them: +E.164 (with optional separators), (403) 555-0142,
# 403-555-0142 / 403 555 0142. Dotted numbers (IPs, versions) and bare digit runs (ids) are kept.
_PHONE = re.compile(
    r"\+\d[\d\s()-]{6,}\d|\(\d{3}\)\s?\d{3}[\s-]\d{4}|\b\d{3}[\s-]\d{3}[\s-]\d{4}\b"
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._-]+", re.IGNORECASE)
# Tokens in URLs: any ``...token=`` query value (reset, verify, worker invite, downloads) and the
# invitation link's path segment.
_TOKEN_QUERY = re.compile(r"([\w.-]*token=)[^&\s\"']+", re.IGNORECASE)
_TOKEN_PATH = re.compile(r"(/invitations/)[^/?#\s\"']+")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact_url(text: str) -> str:
    """``text`` with token values in query strings and invitation paths replaced."""
    text = _TOKEN_QUERY.sub(r"\1[redacted]", text)
    return _TOKEN_PATH.sub(r"\1[redacted]", text)


def redact_text(text: str) -> str:
    text = redact_url(_BEARER.sub(r"\1[redacted]", text))
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub("[phone]", text)


def redact(value, key: str = ""):
    if key and _REDACT_KEYS.search(key):
        return "[redacted]"
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact_text(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = redact(value, key)
        if record.exc_info:
            payload["exc"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Install the JSON handler on the root logger once per process."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)


class RedactingGunicornLogger(glogging.Logger):
    """Gunicorn's access log with token values taken out of every atom (request line, path,
    query, referrer, headers, environ) (``--logger-class shared.logs.RedactingGunicornLogger``)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact_url(v) if isinstance(v, str) else v for k, v in atoms.items()}
