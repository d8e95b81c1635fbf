"""Form posts → the API's schemas → the API's services, and their errors back beside the fields.

A console form is validated by the same marshmallow schema as its API operation (so the rules and
messages are the API's), after the browser's strings are turned into what JSON would carry:
empty → absent, digits → integers for integer fields, ticked boxes → booleans.
"""

from __future__ import annotations

from flask import request
from marshmallow import Schema, ValidationError

from shared.errors import AppError, ValidationFailed, flatten_messages

MAX_VALUE = 5000


def text(name: str) -> str:
    """A form field as text ('' when missing; NUL characters refused as nothing)."""
    value = request.form.get(name, "")
    return "" if "\x00" in value else value[: MAX_VALUE + 1]


def number(value: str):
    """Digits → int (so strict integer fields accept them); anything else stays text, for the
    schema to refuse with its own message."""
    value = value.strip()
    if value.lstrip("-").isdigit() and len(value) < 19:
        return int(value)
    return value


def decimal(value: str):
    """A number with a fraction ("1.5") as JSON would carry it; anything else stays text."""
    value = value.strip()
    try:
        as_float = float(value)
    except ValueError:
        return value
    return int(as_float) if as_float.is_integer() and "." not in value else as_float


def collect(names, *, numbers=(), flags=()) -> dict:
    """The posted ``names`` as a JSON-like body: blank fields left out."""
    body: dict = {}
    for name in names:
        value = text(name).strip()
        if value:
            body[name] = number(value) if name in numbers else value
    for name in flags:
        body[name] = request.form.get(name) in {"1", "on", "true"}
    return body


def load(schema: Schema, body: dict) -> dict:
    """``schema.load(body)`` with marshmallow's errors as the API's 422."""
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise ValidationFailed(flatten_messages(exc.messages)) from exc


def field_errors(exc: AppError, fields=()) -> tuple[dict[str, str], str | None]:
    """``({field: message}, summary)`` of an API error: 422 errors go beside their fields (the
    first message of each); an error on a field the form lacks, or any other problem (409, 402),
    becomes the summary message."""
    errors: dict[str, str] = {}
    leftovers: list[str] = []
    for item in exc.extra.get("errors", []) if isinstance(exc, AppError) else []:
        field = item.get("field") or ""
        if field in fields or not fields:
            errors.setdefault(field, item["message"])
        else:
            leftovers.append(f"{field}: {item['message']}" if field else item["message"])
    summary = None
    if leftovers:
        summary = "; ".join(leftovers)
    elif not errors:
        summary = exc.detail
    return errors, summary
