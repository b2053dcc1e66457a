"""Marshmallow schemas of the JSON API: what requests may carry and what
responses promise (the OpenAPI description says the same in JSON Schema)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_dump, validate

from .errors import wire_code

STATUSES = ("queued", "running", "succeeded", "failed")


class ErrorSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    import_id = fields.Integer(allow_none=True)


class ImportUploadSchema(Schema):
    """The form fields of ``POST /companies/<orgnr>/imports`` beside ``file``."""

    class Meta:
        unknown = EXCLUDE  # csrf_token and the like

    source = fields.String(load_default=None, validate=validate.Length(min=1, max=100))


class ImportAcceptedSchema(Schema):
    import_id = fields.Integer(required=True)
    url = fields.String(required=True)


class ProgressSchema(Schema):
    phase = fields.String(allow_none=True)
    done = fields.Integer(allow_none=True)
    total = fields.Integer(allow_none=True)


class IssueSchema(Schema):
    severity = fields.String(required=True, validate=validate.OneOf(("error", "warning", "info")))
    code = fields.String(required=True)
    message = fields.String(required=True)
    file = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    column = fields.Integer(allow_none=True)

    @post_dump
    def _wire(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["code"] = wire_code(data["code"])
        return data


class FiscalYearSchema(Schema):
    start = fields.String(required=True)
    end = fields.String(required=True)


class ImportResultSchema(Schema):
    """The result object of docs/contracts.md."""

    class Meta:
        unknown = RAISE

    import_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    source = fields.String(required=True)
    company = fields.String(required=True)
    plugin = fields.String(allow_none=True)
    plugin_version = fields.String(allow_none=True)
    started_by = fields.String(allow_none=True)
    file = fields.String(allow_none=True)
    sha256 = fields.String(allow_none=True)
    queued_at = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    duration_s = fields.Float(allow_none=True)
    fiscal_years = fields.List(fields.Nested(FiscalYearSchema), required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    progress = fields.Nested(ProgressSchema, required=True)
    error = fields.String(allow_none=True)
    issues = fields.List(fields.Nested(IssueSchema), required=True)


class ImportListSchema(Schema):
    items = fields.List(fields.Nested(ImportResultSchema), required=True)


class DataSourceOptionSchema(Schema):
    name = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    enabled = fields.Boolean(required=True)


class DataSourceSchema(Schema):
    """``GET`` answer of ``/companies/<orgnr>/data-source``."""

    source = fields.String(required=True)
    title = fields.String(required=True)
    accepts_files = fields.Boolean(required=True)
    options = fields.List(fields.Nested(DataSourceOptionSchema), required=True)


class DataSourceChangeSchema(Schema):
    """``PUT`` body: ``{"source": "other"}`` or the name of an integration."""

    class Meta:
        unknown = RAISE

    source = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ConfigFieldSchema(Schema):
    name = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("string", "integer", "number", "boolean")))
    required = fields.Boolean(required=True)
    secret = fields.Boolean(required=True)
    description = fields.String(allow_none=True)


class SecretStateSchema(Schema):
    set = fields.Boolean(required=True)


class SourceConfigSchema(Schema):
    """A source's configuration for one company; secrets only as ``{"set": …}``."""

    source = fields.String(required=True)
    title = fields.String(required=True)
    values = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    secrets = fields.Dict(keys=fields.String(), values=fields.Nested(SecretStateSchema), required=True)
    field_list = fields.List(fields.Nested(ConfigFieldSchema), required=True, attribute="fields", data_key="fields")


class DeletedYearSchema(Schema):
    fiscal_year = fields.Nested(FiscalYearSchema, required=True)
    deleted = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class RefreshAcceptedSchema(ImportAcceptedSchema):
    pass


def load_or_400(schema: Schema, data: object) -> dict:
    """Validate a request; a bad one becomes a 400 with every problem named."""
    from .errors import Problem

    try:
        return schema.load(data)  # type: ignore[arg-type, return-value]
    except ValidationError as exc:
        parts = []
        for field, msgs in (exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}).items():
            text = "; ".join(str(x) for x in msgs) if isinstance(msgs, list) else str(msgs)
            parts.append(f"{field}: {text}")
        raise Problem(400, "Ogiltig begäran: " + ", ".join(parts)) from None
