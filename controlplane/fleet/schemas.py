from marshmallow import Schema, fields, validate

from controlplane.fleet.plan import LOCK_TIMEOUT_RE


class PublicRevision(Schema):
    revision = fields.String(allow_none=True)
    head = fields.String()


class RevisionCount(Schema):
    revision = fields.String(allow_none=True)
    tenants = fields.Integer()
    position = fields.Integer(
        allow_none=True, metadata={"description": "Index in the tenant track (0 = oldest)."}
    )
    at_head = fields.Boolean()
    served = fields.Boolean(metadata={"description": "False: 503 tenant_migrating."})


class FleetRunOut(Schema):
    id = fields.UUID()
    status = fields.String()
    trigger = fields.String()
    target_revision = fields.String()
    tenant_slug = fields.String(allow_none=True)
    parallel = fields.Integer()
    planned = fields.Integer()
    at_head = fields.Integer()
    succeeded = fields.Integer()
    failed = fields.Integer()
    in_flight = fields.Integer()
    abandoned = fields.Integer()
    error = fields.String(allow_none=True)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class FleetFailure(Schema):
    run_id = fields.UUID()
    tenant_id = fields.UUID(allow_none=True)
    slug = fields.String(allow_none=True)
    schema_name = fields.String()
    kind = fields.String()
    from_revision = fields.String(allow_none=True)
    to_revision = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class FleetStatus(Schema):
    head = fields.String()
    min_revision = fields.String()
    public = fields.Nested(PublicRevision)
    running = fields.Boolean(metadata={"description": "A run holds the run lock right now."})
    revisions = fields.List(fields.Nested(RevisionCount))
    last_run = fields.Nested(FleetRunOut, allow_none=True)
    failed = fields.Integer(metadata={"description": "Schemas whose last migration failed."})
    failures = fields.List(fields.Nested(FleetFailure))


class RunIn(Schema):
    tenant = fields.String(load_default=None, validate=validate.Length(min=3, max=40))
    parallel = fields.Integer(load_default=1, validate=validate.Range(min=1, max=16))
    lock_timeout = fields.String(
        load_default="5s", validate=validate.Regexp(LOCK_TIMEOUT_RE, error="like 500ms, 5s, 1min")
    )


class RunStarted(Schema):
    run_id = fields.UUID()
    status = fields.String()
