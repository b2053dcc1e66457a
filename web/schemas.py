"""Marshmallow schemas of the JSON API: what requests may carry and what
responses promise (the OpenAPI description says the same in JSON Schema)."""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_dump, validate

from ekonomi.core.engine.runlog import ImportResult, Preview, ResultFiscalYear

from .errors import wire_code

# The error codes of the API (docs/contracts.md "HTTP API").
ERROR_CODES = (
    "bad_request", "unauthorized", "forbidden", "not_found", "source_not_active",
    "file_too_large", "not_sie", "conflict", "needs_confirmation", "internal_error",
)  # fmt: skip


@functools.cache
def schema_for(cls: type) -> type[Schema]:
    """The marshmallow schema of a result dataclass, derived from its fields
    and types (one definition of the shape: core/engine/runlog.py).  Its
    name drops a leading "Result" (``ResultIssue`` → ``IssueSchema``), which
    is also the component's name in the OpenAPI document."""
    hints = typing.get_type_hints(cls)
    attrs: dict[str, Any] = {f.name: _field(hints[f.name]) for f in dataclasses.fields(cls)}
    attrs["Meta"] = type("Meta", (), {"unknown": RAISE, "ordered": True})
    return type(cls.__name__.removeprefix("Result") + "Schema", (Schema,), attrs)


def _field(tp: Any, **kwargs: Any) -> fields.Field:
    """The marshmallow field of a type: None in a union allows null, else
    the field is required."""
    args = typing.get_args(tp)
    if type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return _field(inner, allow_none=True, required=False, **kwargs)
    kwargs.setdefault("required", True)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return fields.String(validate=validate.OneOf(args), **kwargs)
    if origin is list:
        return fields.List(_field(args[0]), **kwargs)
    if origin is dict:
        return fields.Dict(keys=_field(args[0]), values=_field(args[1]), **kwargs)
    if dataclasses.is_dataclass(tp):
        return fields.Nested(schema_for(tp), **kwargs)
    return _SCALARS[tp](**kwargs)


_SCALARS: dict[Any, type[fields.Field]] = {str: fields.String, int: fields.Integer, float: fields.Float, bool: fields.Boolean}


class ErrorSchema(Schema):
    code = fields.String(required=True, validate=validate.OneOf(ERROR_CODES))
    message = fields.String(required=True)
    import_id = fields.Integer(metadata={"description": "the failed ImportRun that logs a refusal"})
    field_messages = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        data_key="fields",
        metadata={"description": "a configuration that does not validate: the messages per field"},
    )


class ImportUploadSchema(Schema):
    """The form fields of ``POST /companies/<orgnr>/imports`` beside ``file``."""

    class Meta:
        unknown = EXCLUDE  # csrf_token and the like

    source = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    dry_run = fields.Boolean(load_default=False, metadata={"description": "preview only: answer 200 with the preview, change nothing"})
    confirm = fields.Boolean(load_default=False, metadata={"description": "import even where the import needs a confirmation"})


class ImportAcceptedSchema(Schema):
    import_id = fields.Integer(required=True)
    url = fields.String(required=True)


FiscalYearSchema = schema_for(ResultFiscalYear)


def _wire_issues(data: dict[str, Any]) -> dict[str, Any]:
    for issue in data["issues"]:
        issue["code"] = wire_code(issue["code"])
    return data


class ImportResultSchema(schema_for(ImportResult)):  # type: ignore[misc]
    """The result object, as the API answers it: issue codes on the wire
    (web/errors.WIRE_CODES)."""

    @post_dump
    def _wire(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return _wire_issues(data)


class PreviewSchema(schema_for(Preview)):  # type: ignore[misc]
    """A preview: the result object and what the import would do."""

    @post_dump
    def _wire(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return _wire_issues(data)


def result_schema(result: ImportResult) -> Schema:
    """The schema a stored run answers with: a preview's, or the result object's."""
    return PreviewSchema() if isinstance(result, Preview) else ImportResultSchema()


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


class UndoneYearSchema(Schema):
    """A fiscal year the undo changed: ``restored`` to what it was, or
    ``removed`` (the import had created it)."""

    start = fields.String(required=True)
    end = fields.String(required=True)
    action = fields.String(required=True, validate=validate.OneOf(("restored", "removed")))
    vouchers_now = fields.Integer(required=True, metadata={"description": "vouchers before the undo"})
    vouchers_after = fields.Integer(required=True, metadata={"description": "vouchers after the undo"})


class UndoneImportSchema(Schema):
    """What ``POST /companies/<orgnr>/imports/latest/undo`` undid."""

    import_id = fields.Integer(required=True)
    source = fields.String(required=True)
    file = fields.String(allow_none=True, required=True)
    finished_at = fields.String(allow_none=True, required=True)
    fiscal_years = fields.List(fields.Nested(UndoneYearSchema), required=True)


class RefreshAcceptedSchema(ImportAcceptedSchema):
    pass


_AMOUNT = {"description": 'kronor with two decimals, as a string ("1250.00")'}


class InvoiceSchema(Schema):
    """An unpaid invoice of the stored snapshot (core/books/invoices.py)."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("customer", "supplier")))
    number = fields.String(required=True)
    counterparty_number = fields.String(required=True, allow_none=True)
    counterparty_name = fields.String(required=True, allow_none=True)
    invoice_date = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    due_date = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    currency = fields.String(required=True)
    total_amount = fields.String(required=True, metadata={**_AMOUNT, "description": "in the invoice's currency; " + _AMOUNT["description"]})
    remaining_amount = fields.String(required=True, metadata={**_AMOUNT, "description": "unpaid, in the invoice's currency"})
    remaining_amount_sek = fields.String(
        required=True, allow_none=True, metadata={"description": "unpaid, in SEK (null: another currency and no SEK value from the source)"}
    )
    overdue = fields.Boolean(required=True, metadata={"description": "the due date is before today"})
    as_of = fields.String(required=True, metadata={"format": "date", "description": "the day of the snapshot it belongs to"})
    attachments = fields.List(fields.Integer(), required=True, metadata={"description": "ids of its attachments (GET …/attachments/{id})"})


class InvoiceTotalsSchema(Schema):
    count = fields.Integer(required=True)
    remaining_sek = fields.String(required=True, metadata=_AMOUNT)
    overdue_count = fields.Integer(required=True)
    overdue_sek = fields.String(required=True, metadata=_AMOUNT)
    without_sek = fields.Integer(required=True, metadata={"description": "invoices in another currency without a SEK value: not in the sums"})


class InvoiceListSchema(Schema):
    """``GET /companies/<orgnr>/invoices``: by due date, those without one last."""

    items = fields.List(fields.Nested(InvoiceSchema), required=True)
    totals = fields.Dict(keys=fields.String(validate=validate.OneOf(("customer", "supplier"))), values=fields.Nested(InvoiceTotalsSchema), required=True)
    as_of = fields.String(required=True, allow_none=True, metadata={"format": "date", "description": "the snapshot's day; null: no invoices"})


class VoucherObjectSchema(Schema):
    dimension = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


class VoucherRowSchema(Schema):
    account = fields.String(required=True)
    account_name = fields.String(required=True)
    text = fields.String(required=True, allow_none=True)
    amount = fields.String(required=True, metadata={"description": "debit positive, credit negative; " + _AMOUNT["description"]})
    kind = fields.String(required=True, validate=validate.OneOf(("posted", "added", "removed")))
    objects = fields.List(fields.Nested(VoucherObjectSchema), required=True)


class AttachmentSchema(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "bytes"})


class VoucherSchema(Schema):
    """``GET /companies/<orgnr>/vouchers/<id>``: a voucher, its rows and its attachments."""

    id = fields.Integer(required=True)
    series = fields.String(required=True)
    number = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})
    text = fields.String(required=True)
    registration_date = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    rows = fields.List(fields.Nested(VoucherRowSchema), required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)


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
