from marshmallow import Schema, ValidationError, fields, post_load, validate

from tenantapp.search.registry import TYPES
from tenantapp.search.service import MAX_PER_TYPE


def _types(value: str) -> list[str]:
    names = [t.strip().lower() for t in value.split(",") if t.strip()]
    # "customers" and "customer" both name the type (the results say "customer").
    names = [t[:-1] if t.endswith("s") and t[:-1] in TYPES else t for t in names]
    unknown = sorted(set(names) - set(TYPES))
    if unknown or not names:
        raise ValidationError(f"types are a comma-separated list of {', '.join(TYPES)}")
    return names


class SearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    types = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": f"Comma-separated subset of: {', '.join(TYPES)} (default all)."},
    )
    limit = fields.Integer(
        load_default=10,
        validate=validate.Range(min=1, max=MAX_PER_TYPE),
        metadata={"description": "Results per type (1..20)."},
    )

    @post_load
    def split_types(self, data, **kwargs):
        if not data["q"].strip():
            raise ValidationError("q must not be blank", "q")
        data["types"] = _types(data["types"]) if data.get("types") is not None else None
        return data


class SearchItem(Schema):
    type = fields.String(metadata={"description": f"One of {', '.join(TYPES)}."})
    id = fields.Integer()
    title = fields.String()
    subtitle = fields.String()
    match = fields.String(metadata={"description": "exact, prefix, contains or fuzzy"})


class SearchOut(Schema):
    items = fields.List(fields.Nested(SearchItem))
