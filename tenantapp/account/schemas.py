from marshmallow import Schema, fields, validate


class ClientLoginIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))


class ClientLoginOut(Schema):
    detail = fields.String()
