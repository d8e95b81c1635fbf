"""Marshmallow fields for tenant time: instants out in UTC (``Z``) and in the tenant's offset;
instants in with any offset, naive values read as tenant-local wall time."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import ValidationError, fields

from shared.timezones import NonexistentLocalTime, parse_instant
from tenantapp.scheduling.service import tenant_zone


class UtcDateTime(fields.DateTime):
    """Serialises an aware datetime as RFC 3339 UTC with a ``Z``."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class LocalDateTime(fields.DateTime):
    """Serialises a datetime already converted to the tenant's zone, with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()


class TenantInstant(fields.Field):
    """RFC 3339 in; a naive value is tenant-local; a skipped local time (DST) is invalid."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str):
            raise ValidationError("Not a valid date-time.")
        try:
            return parse_instant(value, tenant_zone())
        except NonexistentLocalTime as exc:
            raise ValidationError(
                "This local time does not exist (clocks spring forward then)."
            ) from exc
        except ValueError as exc:
            raise ValidationError("Not a valid RFC 3339 date-time.") from exc

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")
