"""Cursor pagination: ``?limit=1..200 (50)&cursor=`` → ``{items, next_cursor}``."""

from __future__ import annotations

import base64
import json

from marshmallow import Schema, fields, validate

from shared.errors import field_error


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types) -> list | None:
    """Decode a cursor made by ``encode_cursor``, converting each value with ``types``
    (e.g. ``datetime.fromisoformat``, ``uuid.UUID``, ``int``); anything off is a 422."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong cursor shape")
        return [convert(value) for convert, value in zip(types, values, strict=True)]
    except (ValueError, TypeError, AttributeError) as exc:
        raise field_error("cursor", "cursor is not valid") from exc


def page(rows: list, limit: int, key) -> dict:
    """Build the page from ``limit + 1`` fetched rows; ``key(row)`` gives the cursor values."""
    items = rows[:limit]
    next_cursor = encode_cursor(key(items[-1])) if len(rows) > limit and items else None
    return {"items": items, "next_cursor": next_cursor}


def page_schema(item_schema, name: str):
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "next_cursor": fields.String(allow_none=True),
        },
        name=name,
    )
