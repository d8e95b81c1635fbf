"""The tenant audit log: every staff write records who, what, when and before/after."""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import select

from shared import db
from shared.pagination import decode_cursor, page
from tenantapp.audit.models import AuditEntry


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(sess, action: str, entity: str, entity_id=None, before=None, after=None) -> None:
    """Add an audit entry to ``sess``'s transaction for the current principal."""
    principal = g.get("principal") if has_request_context() else None
    sess.add(
        AuditEntry(
            actor_type=getattr(principal, "typ", "system"),
            actor_id=getattr(principal, "user_id", None),
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=_jsonable(before),
            after=_jsonable(after),
            request_id=g.get("request_id") if has_request_context() else None,
        )
    )


def changes(obj, fields: dict) -> tuple[dict, dict]:
    """Apply ``fields`` to ``obj``; return (before, after) of the fields that changed."""
    before, after = {}, {}
    for name, value in fields.items():
        old = getattr(obj, name)
        if old != value:
            before[name], after[name] = old, value
            setattr(obj, name, value)
    return before, after


def list_entries(limit: int, cursor: str | None) -> dict:
    # ids are an identity sequence: newest first by id is stable and index-only.
    """A page of audit entries, newest first."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    after = decode_cursor(cursor, int)
    if after:
        stmt = stmt.where(AuditEntry.id < after[0])
    rows = list(db.session().scalars(stmt))
    return page(rows, limit, lambda e: [e.id])
