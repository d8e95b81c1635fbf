"""Bulk actions: one result per id, each id in its own transaction, a dry run that rolls back.

A failing id never stops the others: its domain error becomes ``{ok: false, code, detail}``
(an unknown id is ``not_found``). Each id's action writes its own audit entry; the run adds one
summary entry. A dry run performs every action inside ``rehearsal()`` and rolls it all back, so
it answers exactly what the real run would (at that moment) and changes nothing.
"""

from __future__ import annotations

from contextlib import nullcontext

from sqlalchemy.exc import IntegrityError

from shared import db
from shared.errors import AppError, ValidationFailed
from tenantapp.audit.service import record
from tenantapp.bulk.actions import Action
from tenantapp.bulk.rehearsal import rehearsal


def _failure(exc: AppError) -> dict:
    detail = exc.detail
    if isinstance(exc, ValidationFailed) and exc.extra.get("errors"):
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in exc.extra["errors"])
    return {"ok": False, "code": exc.code, "detail": detail, "status": None}


def _one(action: Action, row_id: int, params: dict) -> dict:
    try:
        status = action.run(row_id, params)
    except AppError as exc:
        db.session().rollback()
        return {"id": row_id, **_failure(exc)}
    except IntegrityError:
        db.session().rollback()
        return {
            "id": row_id,
            "ok": False,
            "code": "conflict",
            "detail": "The change conflicts with another row; nothing was changed.",
            "status": None,
        }
    return {"id": row_id, "ok": True, "code": None, "detail": None, "status": status}


def run(entity: str, actions: dict[str, Action], data: dict) -> dict:
    """Apply ``data['action']`` to each of ``data['ids']`` (duplicates answered once)."""
    # The Idempotency-Key row waits in this session: commit it now, so it survives whatever
    # the first id's transaction does (an id that fails rolls back only its own work).
    db.session().commit()
    action = actions[data["action"]]
    ids = list(dict.fromkeys(data["ids"]))
    dry_run = data["dry_run"]
    with rehearsal() if dry_run else nullcontext():
        items = [_one(action, row_id, data["params"]) for row_id in ids]
    if not dry_run:
        with db.transaction() as tx:
            record(
                tx,
                f"{entity}.bulk_{data['action']}",
                entity,
                None,
                None,
                {
                    "params": data["params"],
                    "done": [i["id"] for i in items if i["ok"]],
                    "failed": [i["id"] for i in items if not i["ok"]],
                },
            )
    return {"dry_run": dry_run, "action": data["action"], "items": items}
