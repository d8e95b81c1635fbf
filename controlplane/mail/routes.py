"""``GET /v1/ops/dlq``: dead letters across tenants, from the DLQ index (no tenant schema read)."""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select, tuple_

from shared import db
from shared.auth.guards import operator
from shared.models.tenants import Tenant
from shared.outbox.dlq import DlqEntry
from shared.pagination import PageArgs, decode_cursor, page, page_schema

blp = Blueprint("ops_dlq", __name__, url_prefix="/v1/ops", description="Platform operators")


class DlqOut(Schema):
    scope = fields.String()
    tenant_id = fields.UUID(allow_none=True)
    tenant_slug = fields.String(allow_none=True)
    kind = fields.String()
    dead_count = fields.Integer()
    oldest_dead_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()


def list_dead_letters(limit: int, cursor: str | None) -> dict:
    stmt = (
        select(DlqEntry, Tenant.slug)
        .outerjoin(Tenant, Tenant.id == DlqEntry.tenant_id)
        .where(DlqEntry.dead_count > 0)
        .order_by(DlqEntry.scope, DlqEntry.kind)
        .limit(limit + 1)
    )
    after = decode_cursor(cursor, str, str)
    if after:
        stmt = stmt.where(tuple_(DlqEntry.scope, DlqEntry.kind) > tuple_(*after))
    rows = [
        {
            "scope": e.scope,
            "tenant_id": e.tenant_id,
            "tenant_slug": slug,
            "kind": e.kind,
            "dead_count": e.dead_count,
            "oldest_dead_at": e.oldest_dead_at,
            "updated_at": e.updated_at,
        }
        for e, slug in db.session().execute(stmt)
    ]
    return page(rows, limit, lambda r: [r["scope"], r["kind"]])


@blp.route("/dlq")
class DeadLetterIndex(MethodView):
    @operator
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(DlqOut, "DlqPage"))
    def get(self, args):
        """Dead letters per tenant (or ``platform``) and kind, kept by the delivery jobs."""
        return list_dead_letters(args["limit"], args["cursor"])
