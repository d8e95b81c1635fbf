"""A tenant's control-plane rows as JSON (tenant, events, memberships, users, usage counters),
and their re-insertion for a restored tenant with users re-linked by e-mail."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Table, Uuid, insert, select
from sqlalchemy.engine import Connection

from shared.models.accounts import Membership, User
from shared.models.plans import GAUGE_PERIOD, PERIODIC_METRICS, Plan, UsageCounter
from shared.models.tenants import Tenant, TenantEvent

# Columns a clone (``--as``) takes from the original; everything else about its identity (ids,
# slug, schema, billing links some later column may add) is its own.
CLONED_TENANT_COLUMNS = ("company_name", "plan_code", "time_zone", "shard")
USER_COLUMNS = (
    "email",
    "password_hash",
    "email_verified_at",
    "must_change_password",
    "totp_secret",
    "totp_enabled",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID | datetime | date):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    return value


def _rows(conn: Connection, table: Table, *where) -> list[dict]:
    result = conn.execute(select(table).where(*where))
    return [{k: _jsonable(v) for k, v in row._mapping.items()} for row in result]


def export_rows(conn: Connection, tenant_id: uuid.UUID) -> dict:
    """Every control-plane row that belongs to the tenant (sessions are not kept: log in again)."""
    memberships = _rows(conn, Membership.__table__, Membership.tenant_id == tenant_id)
    user_ids = [uuid.UUID(m["user_id"]) for m in memberships]
    return {
        "tenant": _rows(conn, Tenant.__table__, Tenant.id == tenant_id)[0],
        "tenant_events": _rows(conn, TenantEvent.__table__, TenantEvent.tenant_id == tenant_id),
        "memberships": memberships,
        "users": _rows(conn, User.__table__, User.id.in_(user_ids)) if user_ids else [],
        "usage_counters": _rows(conn, UsageCounter.__table__, UsageCounter.tenant_id == tenant_id),
    }


def from_json(table: Table, row: dict) -> dict:
    """Values typed for ``table``'s columns; columns the table no longer has are dropped."""
    out = {}
    for name, value in row.items():
        column = table.columns.get(name)
        if column is None:
            continue
        if value is not None and isinstance(value, str):
            if isinstance(column.type, Uuid):
                value = uuid.UUID(value)
            elif isinstance(column.type, DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(column.type, Date):
                value = date.fromisoformat(value)
        out[name] = value
    return out


def _relink_users(conn: Connection, users: list[dict]) -> dict[str, uuid.UUID]:
    """Old user id → the user to attach to: the account with the same e-mail when one exists
    (it keeps its own password), else the backed-up account re-created (same id when free)."""
    mapping: dict[str, uuid.UUID] = {}
    for user in users:
        existing = conn.scalar(select(User.id).where(User.email == user["email"]))
        if existing is not None:
            mapping[user["id"]] = existing
            continue
        wanted = uuid.UUID(user["id"])
        taken = conn.scalar(select(User.id).where(User.id == wanted))
        new_id = uuid.uuid4() if taken else wanted
        values = from_json(User.__table__, {k: user.get(k) for k in USER_COLUMNS})
        conn.execute(insert(User).values(id=new_id, **values))
        mapping[user["id"]] = new_id
    return mapping


def insert_rows(
    conn: Connection,
    data: dict,
    *,
    tenant_id: uuid.UUID,
    slug: str,
    schema: str,
    revision: str | None,
    clone: bool,
    actor: str,
    shard: str | None = None,
) -> None:
    """Write the restored tenant's control-plane rows in ``conn``'s transaction."""
    original = data["tenant"]
    if clone:
        values = from_json(Tenant.__table__, {k: original.get(k) for k in CLONED_TENANT_COLUMNS})
    else:
        values = from_json(Tenant.__table__, original)
        for key in ("created_at", "updated_at"):
            values.pop(key, None)
    status = original["status"] if original["status"] in {"active", "suspended"} else "active"
    plan = values.get("plan_code")
    if plan is None or conn.scalar(select(Plan.code).where(Plan.code == plan)) is None:
        values["plan_code"] = "free"
    users = _relink_users(conn, data["users"])
    owner = original.get("owner_user_id")
    values.update(
        id=tenant_id,
        slug=slug,
        schema_name=schema,
        status=status,
        status_reason=None if clone else original.get("status_reason"),
        schema_revision=revision,
        owner_user_id=users.get(owner) if owner else None,
    )
    if shard is not None:  # where the schema was restored (may differ from the backup's)
        values["shard"] = shard
    conn.execute(insert(Tenant).values(**values))
    if not clone:
        for event in data["tenant_events"]:
            row = from_json(TenantEvent.__table__, event)
            row.pop("id", None)
            conn.execute(insert(TenantEvent).values(**row))
    conn.execute(
        insert(TenantEvent).values(
            tenant_id=tenant_id,
            from_status=None,
            to_status=status,
            actor=actor,
            reason=f"restored from a backup of {original['slug']} ({original['id']})",
        )
    )
    for membership in data["memberships"]:
        row = from_json(Membership.__table__, membership)
        wanted = row.pop("id")
        taken = conn.scalar(select(Membership.id).where(Membership.id == wanted))
        row.update(
            id=uuid.uuid4() if clone or taken else wanted,
            tenant_id=tenant_id,
            user_id=users[membership["user_id"]],
        )
        row.pop("created_at", None)
        conn.execute(insert(Membership).values(**row))
    for counter in data["usage_counters"]:
        row = from_json(UsageCounter.__table__, counter)
        row["tenant_id"] = tenant_id
        if row["metric"] not in PERIODIC_METRICS:  # a backup from before cp0010_usage_periods
            row["period_start"] = GAUGE_PERIOD
        conn.execute(insert(UsageCounter).values(**row))
