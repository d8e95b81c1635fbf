from marshmallow import Schema, fields, validate

from controlplane.tenants.schemas import Usage
from shared.pagination import PageArgs, page_schema


class TenantListArgs(PageArgs):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["provisioning", "provision_failed", "active", "suspended", "deleting", "deleted"]
        ),
    )
    plan = fields.String(load_default=None)


class OpsTenant(Schema):
    id = fields.UUID()
    slug = fields.String()
    company_name = fields.String()
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    plan = fields.String(attribute="plan_code")
    schema_name = fields.String()
    schema_revision = fields.String(allow_none=True)
    shard = fields.String()
    created_at = fields.DateTime()
    last_activity_at = fields.DateTime(allow_none=True)
    delete_after = fields.DateTime(allow_none=True)


class OpsTenantEvent(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.DateTime()


class OpsTenantDetail(OpsTenant):
    usage = fields.Nested(Usage)
    events = fields.List(fields.Nested(OpsTenantEvent))


OpsTenantPage = page_schema(OpsTenant, "OpsTenantPage")


class ReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OpsQueue(Schema):
    name = fields.String()
    depth = fields.Integer()
    started = fields.Integer()
    scheduled = fields.Integer()
    failed = fields.Integer()


class OpsWorkerBeat(Schema):
    name = fields.String()
    age = fields.Float()


class OpsHeartbeats(Schema):
    workers = fields.List(fields.Nested(OpsWorkerBeat))
    scheduler_age = fields.Float(allow_none=True)
    scheduler_ok = fields.Boolean()
    pipeline_age = fields.Float(allow_none=True)


class OpsDueWorkKind(Schema):
    kind = fields.String()
    entries = fields.Integer()
    due_now = fields.Integer()


class OpsDueWork(Schema):
    size = fields.Integer(metadata={"description": "(tenant, kind) entries in the due-work index"})
    due_now = fields.Integer(metadata={"description": "entries due now, not yet dispatched"})
    oldest_due_at = fields.Float(allow_none=True, metadata={"description": "unix time"})
    oldest_due_age_seconds = fields.Float(
        metadata={"description": "how overdue the oldest due entry is (0: none due)"}
    )
    parked = fields.Integer(metadata={"description": "entries of suspended tenants"})
    kinds = fields.List(fields.Nested(OpsDueWorkKind))


class OpsJobs(Schema):
    queues = fields.List(fields.Nested(OpsQueue))
    heartbeats = fields.Nested(OpsHeartbeats)
    due_work = fields.Nested(OpsDueWork)
