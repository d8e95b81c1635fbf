"""Limits every request's input must meet before any view parses it (issue 18, hostile input).

Checked in ``before_request`` by both apps (``shared.web``), so no endpoint can forget them:

- **JSON nesting** deeper than ``MAX_JSON_DEPTH`` → 400 ``bad_request``. Measured on the raw
  bytes before parsing: Python's parser recurses, and 100 000 ``[`` raised ``RecursionError``
  (a 500) where nothing caught it. No body of this API nests beyond a few levels.
- **Integers with more digits than Python parses** (``sys.get_int_max_str_digits``, 4 300) make
  the body unparseable → 400 ``bad_request`` (it was a ``ValueError`` that escaped webargs).
- **Integers outside signed 64 bits** (every id and amount column is at most a BIGINT) in a JSON
  body, or in an ``*_id``/``id``/``limit`` query parameter → 422 ``validation_failed`` on that
  field, instead of a database range error.
- **Dates outside the years 1900-2999** given as a whole ISO date or date-time value → 422 on
  that field: nothing in cleaning schedules lives there, and 9999-12-31 overflowed day
  arithmetic (``date + 1 day``) in the scheduling code.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request

from shared.errors import BadRequest, ValidationFailed

MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MIN_YEAR, MAX_YEAR = 1900, 2999
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_ISO_DATE = re.compile(r"^[+-]?(\d{4,})-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_ID_PARAM = re.compile(r"^(?:id|limit|.*_id)$")
_INTEGER = re.compile(r"^[+-]?\d+$")


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if ``raw`` (JSON text) nests arrays/objects deeper than ``limit``."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # cannot be deeper than the number of openers (the common case: no scan)
    depth = 0
    for token in _JSON_TOKENS.finditer(raw):
        ch = token.group()
        if ch in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif ch in (b"]", b"}"):
            depth -= 1
    return False


def _year_out_of_range(value: str) -> bool:
    match = _ISO_DATE.match(value)
    return bool(match) and not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR


def _walk(value: Any, path: str, problems: list[dict[str, str]]) -> None:
    if len(problems) >= 20:
        return
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            problems.append({"field": path, "message": "Number is out of range."})
    elif isinstance(value, str):
        if len(value) <= 40 and _year_out_of_range(value):
            problems.append({"field": path, "message": f"Years {MIN_YEAR}-{MAX_YEAR} only."})
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{path}.{key}" if path else str(key), problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index), problems)


def check_request_input(req=None) -> None:
    """Refuse input beyond the limits above (call from ``before_request``).

    A JSON body parsed here is left in the request's JSON cache, so the view's parser
    (``request.get_json()``) does not parse it a second time.
    """
    req = req or request._get_current_object()
    problems: list[dict[str, str]] = []
    for name, value in req.args.items(multi=True):
        if _ID_PARAM.match(name) and _INTEGER.match(value.strip()):
            if len(value) > 25 or not INT64_MIN <= int(value) <= INT64_MAX:
                problems.append({"field": name, "message": "Number is out of range."})
        elif len(value) <= 40 and _year_out_of_range(value):
            problems.append({"field": name, "message": f"Years {MIN_YEAR}-{MAX_YEAR} only."})
    if req.is_json:
        raw = req.get_data(cache=True)
        if raw and json_depth_exceeds(raw):
            raise BadRequest(
                f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.", code="bad_request"
            )
        if raw:
            try:
                body = json.loads(raw)
            except RecursionError:
                raise BadRequest("The JSON body nests too deeply.", code="bad_request") from None
            except ValueError as exc:
                if "integer string conversion" in str(exc):
                    raise BadRequest(
                        "A number in the JSON body has too many digits.", code="bad_request"
                    ) from None
                body = None  # malformed JSON: the view's parser answers its usual 400
            else:
                # What ``get_json(cache=True)`` stores after the same ``json.loads`` (Flask's
                # default JSON provider); a failed parse is left to it, so its 400 is unchanged.
                req._cached_json = (body, body)
            _walk(body, "", problems)
    if problems:
        raise ValidationFailed(problems)
