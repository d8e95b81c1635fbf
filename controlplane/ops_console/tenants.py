"""The tenants table (search, filters, keyset pages over the whole fleet) and a tenant's page."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select, tuple_, union
from sqlalchemy.orm import aliased

from controlplane.ops_console.models import OpsAuditEntry
from controlplane.shards.models import TenantMove
from shared import db
from shared.entitlements import usage
from shared.errors import NotFound, field_error
from shared.models.accounts import User
from shared.models.plans import METRIC_LIMITS, Plan
from shared.models.tenants import TENANT_STATUSES, Tenant, TenantEvent
from shared.pagination import decode_cursor, encode_cursor

PAGE_SIZE = 50
SEARCH_MAX = 200


@dataclass(frozen=True)
class TenantQuery:
    """What the tenants table shows: a search and filters, and where the page starts."""

    q: str = ""
    status: str = ""
    plan: str = ""
    shard: str = ""
    revision: str = ""
    after: str = ""  # cursor: the page after this row (newest first)
    before: str = ""  # cursor: the page before this row
    limit: int = PAGE_SIZE

    @classmethod
    def from_args(cls, args) -> TenantQuery:
        """Read the query string; bad values are a 422 on their field (never a 500)."""
        values = {k: (args.get(k) or "").strip() for k in ("q", "status", "plan", "shard")}
        values["revision"] = (args.get("revision") or "").strip()
        if len(values["q"]) > SEARCH_MAX:
            raise field_error("q", f"at most {SEARCH_MAX} characters")
        if values["status"] and values["status"] not in TENANT_STATUSES:
            raise field_error("status", "not a tenant status")
        for key in ("q", "plan", "shard", "revision"):
            if "\x00" in values[key]:
                raise field_error(key, "must not contain NUL")
        return cls(**values, after=args.get("after") or "", before=args.get("before") or "")

    def params(self, **changes) -> dict:
        """Query-string parameters of this query (empty ones left out), with ``changes``."""
        data = replace(self, **changes)
        keys = ("q", "status", "plan", "shard", "revision", "after", "before")
        return {k: getattr(data, k) for k in keys if getattr(data, k)}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: TenantQuery):
    stmt = select(Tenant)
    if query.q:
        # One indexed lookup per field (trigram GIN indexes, cp0011), unioned: an OR across the
        # fields and the owner's e-mail would make Postgres scan every tenant row instead.
        pattern = _like(query.q)
        branches = [
            select(Tenant.id).where(Tenant.slug.ilike(pattern)),
            select(Tenant.id).where(Tenant.company_name.ilike(pattern)),
            select(Tenant.id)
            .join(User, User.id == Tenant.owner_user_id)
            .where(User.email.ilike(pattern)),
        ]
        with contextlib.suppress(ValueError):  # a whole tenant id
            branches.append(select(Tenant.id).where(Tenant.id == uuid.UUID(query.q)))
        if query.q.startswith("t_"):
            branches.append(select(Tenant.id).where(Tenant.schema_name == query.q))
        stmt = stmt.where(Tenant.id.in_(union(*branches)))
    if query.status:
        stmt = stmt.where(Tenant.status == query.status)
    if query.plan:
        stmt = stmt.where(Tenant.plan_code == query.plan)
    if query.shard:
        stmt = stmt.where(Tenant.shard == query.shard)
    if query.revision == "none":
        stmt = stmt.where(Tenant.schema_revision.is_(None))
    elif query.revision:
        stmt = stmt.where(Tenant.schema_revision == query.revision)
    return stmt


def _cursor(t: Tenant) -> str:
    return encode_cursor([t.created_at.isoformat(), str(t.id)])


def tenants_page(query: TenantQuery) -> dict:
    """One page of tenants, newest first, with the total that match and cursors both ways.

    The total is a window count over the filtered rows, taken before the cursor narrows them, so
    a search runs once per page (not once for the rows and again for the count)."""
    sess = db.session()
    base = _filtered(query)
    counted = base.add_columns(func.count().over().label("total")).subquery()
    tenant = aliased(Tenant, counted)
    key = tuple_(counted.c.created_at, counted.c.id)
    backwards = bool(query.before) and not query.after
    cursor = decode_cursor(
        query.before if backwards else query.after, datetime.fromisoformat, uuid.UUID
    )
    stmt = select(tenant, counted.c.total)
    if cursor:
        bound = tuple_(cursor[0], cursor[1])
        stmt = stmt.where(key > bound if backwards else key < bound)
    if backwards:
        stmt = stmt.order_by(counted.c.created_at, counted.c.id)
    else:
        stmt = stmt.order_by(counted.c.created_at.desc(), counted.c.id.desc())
    found = sess.execute(stmt.limit(query.limit + 1)).all()
    rows = [row[0] for row in found]
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    if backwards:
        rows.reverse()
    # a cursor past the end leaves no row to read the window count from
    total = found[0][1] if found else sess.scalar(select(func.count()).select_from(base.subquery()))
    has_next = more if not backwards else True
    has_prev = (more if backwards else bool(cursor)) and bool(rows)
    return {
        "items": rows,
        "total": total,
        "next": _cursor(rows[-1]) if rows and has_next else None,
        "prev": _cursor(rows[0]) if has_prev else None,
    }


def filter_choices() -> dict:
    """The values the filters offer: statuses, plans, shards and revisions in use."""
    sess = db.session()
    return {
        "statuses": list(TENANT_STATUSES),
        "plans": list(sess.scalars(select(Plan.code).order_by(Plan.sort_order, Plan.code))),
        "shards": list(sess.scalars(select(Tenant.shard).distinct().order_by(Tenant.shard))),
        "revisions": [
            r or "none"
            for r in sess.scalars(
                select(Tenant.schema_revision).distinct().order_by(Tenant.schema_revision)
            )
        ],
    }


def tenant_page(tenant_id: uuid.UUID) -> dict:
    """Everything the tenant's page shows: the row, owner, usage against the plan's limits,
    lifecycle history, moves and the console's audit entries for it. 404 if unknown."""
    sess = db.session()
    tenant = sess.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    plan = sess.get(Plan, tenant.plan_code)
    used = usage(sess, tenant_id)
    meters = [
        {
            "metric": metric,
            "used": used.get(metric, 0),
            "limit": plan.limit_for(metric) if plan else None,
        }
        for metric in METRIC_LIMITS
    ]
    owner = sess.get(User, tenant.owner_user_id) if tenant.owner_user_id else None
    return {
        "tenant": tenant,
        "plan": plan,
        "owner_email": owner.email if owner else None,
        "usage": meters,
        "events": sess.scalars(
            select(TenantEvent).where(TenantEvent.tenant_id == tenant_id).order_by(TenantEvent.id)
        ).all(),
        "moves": sess.scalars(
            select(TenantMove)
            .where(TenantMove.tenant_id == tenant_id)
            .order_by(TenantMove.started_at.desc())
            .limit(10)
        ).all(),
        "audit": sess.scalars(
            select(OpsAuditEntry)
            .where(OpsAuditEntry.tenant_id == tenant_id)
            .order_by(OpsAuditEntry.id.desc())
            .limit(20)
        ).all(),
    }


def tenant_or_404(tenant_id: uuid.UUID) -> Tenant:
    tenant = db.session().get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    return tenant
