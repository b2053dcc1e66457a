"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json.

Built with apispec: the operations are written here, the schemas of what
they carry are derived from the marshmallow schemas (web/schemas.py, the
import result from its dataclass) by apispec's marshmallow plugin.
tests/test_web_openapi.py walks it: every documented route exists and
answers with a documented status."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import schemas

COMPONENTS = {
    "Error": schemas.ErrorSchema,
    "ImportAccepted": schemas.ImportAcceptedSchema,
    "FiscalYear": schemas.FiscalYearSchema,  # before the schemas that nest it
    "ImportResult": schemas.ImportResultSchema,
    "Preview": schemas.PreviewSchema,
    "ImportList": schemas.ImportListSchema,
    "DataSource": schemas.DataSourceSchema,
    "DataSourceChange": schemas.DataSourceChangeSchema,
    "DeletedYear": schemas.DeletedYearSchema,
    "UndoneImport": schemas.UndoneImportSchema,
    "SourceConfig": schemas.SourceConfigSchema,
    "InvoiceList": schemas.InvoiceListSchema,
    "Voucher": schemas.VoucherSchema,
}
# A free-form body: the fields a source's config_schema defines.
SOURCE_CONFIG_CHANGE = {
    "type": "object",
    "description": "field name → value; \"\" or null clears a field, and keeps a secret",
    "additionalProperties": True,
    "examples": [{"company_key": "abc-123", "api_token": "…"}],
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


ORGNR = {"name": "orgnr", "in": "path", "required": True, "schema": {"type": "string"}, "description": "NNNNNN-NNNN (or without the hyphen)"}
IMPORT_ID = {"name": "import_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SOURCE = {"name": "source", "in": "path", "required": True, "schema": {"type": "string"}, "description": "a source plugin's name"}

UNAUTHORIZED = _error("Not signed in: no session and no valid bearer token (code unauthorized)")
FORBIDDEN = _error("The company is reachable but the user lacks the right (code forbidden)")
NOT_FOUND = _error("No such company or import, or the user cannot reach it (code not_found)")
TOO_MANY = _error("Throttled: too many calls with this token or from this address (code too_many_requests); wait Retry-After seconds")
BAD_REQUEST = _error("Invalid request (code bad_request); a cookie session without X-CSRFToken on an unsafe method")
# What web/request_guard.py refuses before any view, on every route.
MALFORMED = _error(
    "A malformed request (code bad_request): control characters such as NUL in a parameter or a JSON string, "
    "or a JSON body nested more than 32 levels deep"
)


def spec(max_upload_mb: int = 512) -> dict[str, Any]:
    api = APISpec(
        title="ekonomi API",
        version="1",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Imports, the import log and the data source of client companies. "
            'Errors are {"code", "message"}; lists are {"items": [...]}, newest first.'
        },
        servers=[{"url": "/"}],
        security=[{"bearer": []}, {"session": []}],
    )
    api.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "A personal token from `ekonomi tokens create EMAIL`"}
    )
    api.components.security_scheme(
        "session",
        {"type": "apiKey", "in": "cookie", "name": "session", "description": "The pages' session; unsafe methods need X-CSRFToken"},
    )
    for name, schema in COMPONENTS.items():
        api.components.schema(name, schema=schema)
    api.components.schema("SourceConfigChange", SOURCE_CONFIG_CHANGE)
    for path, operations in _paths(max_upload_mb).items():
        parameters = operations.pop("parameters", None)
        for operation in operations.values():
            operation["responses"].setdefault("400", MALFORMED)  # web/request_guard.py, on every route
            operation["responses"].setdefault("429", TOO_MANY)  # web/throttle.py limits the whole API
        api.path(path=path, operations=operations, parameters=parameters)
    return api.to_dict()


def _paths(max_upload_mb: int) -> dict[str, Any]:
    return {**_import_paths(max_upload_mb), **_company_paths(), **_books_paths(), **_undo_paths(), **_config_paths()}


def _books_paths() -> dict[str, Any]:
    """Unpaid invoices, a voucher and an attachment: for those who see the company's reports."""
    locked = (
        "A client user whom the bureau shows only locked months gets nothing dated after the lock date (404)."
    )
    return {
        "/api/v1/companies/{orgnr}/invoices": {
            "parameters": [ORGNR],
            "get": {
                "summary": "Obetalda fakturor: the stored unpaid customer and supplier invoices",
                "description": "The snapshot the company's source delivered last, by due date (those without one last). "
                "Totals per kind are in SEK: an invoice in another currency counts with its SEK value where the source "
                "gave one; without_sek counts the others. Needs the right to see reports.",
                "responses": {"200": _ok("The invoices and their totals", "InvoiceList"), "401": UNAUTHORIZED, "403": FORBIDDEN, "404": NOT_FOUND},
            },
        },
        "/api/v1/companies/{orgnr}/vouchers/{voucher_id}": {
            "parameters": [ORGNR, {"name": "voucher_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {
                "summary": "One voucher: its rows and its attachments' metadata",
                "description": "Needs the right to see reports. " + locked,
                "responses": {
                    "200": _ok("The voucher", "Voucher"),
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "404": _error("No such company or voucher, another company's voucher, or one after the lock date (code not_found)"),
                },
            },
        },
        "/api/v1/companies/{orgnr}/attachments/{attachment_id}": {
            "parameters": [ORGNR, {"name": "attachment_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {
                "summary": "An attachment's bytes (underlag)",
                "description": "Served with its stored Content-Type and a Content-Disposition naming the file: inline for "
                "PDF and images, as an attachment otherwise. Needs the right to see reports. " + locked,
                "responses": {
                    "200": {"description": "The file", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "404": _error("No such company or attachment, another company's, one of a voucher after the lock date, "
                                  "or its file is missing from the file store (code not_found)"),
                },
            },
        },
    }


def _undo_paths() -> dict[str, Any]:
    return {
        "/api/v1/companies/{orgnr}/imports/latest/undo": {
            "parameters": [ORGNR],
            "post": {
                "summary": "Ångra senaste importen: undo the company's latest successful import",
                "description": (
                    "The books return exactly to what they were before the latest successful import: its vouchers, "
                    "balances, budgets and chart go, what it replaced comes back, fiscal years it created are removed. "
                    "Needs the settings right (as deleting the latest fiscal year). Logged as a company event. Only "
                    "the latest import, once: afterwards there is nothing to undo until the next import."
                ),
                "responses": {
                    "200": _ok("What was undone", "UndoneImport"),
                    "400": BAD_REQUEST,
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "404": NOT_FOUND,
                    "409": _error("Nothing to undo: no successful import, or the latest was already undone (conflict)"),
                },
            },
        },
    }


def _config_paths() -> dict[str, Any]:
    not_admin = _error("Not a bureau admin, or no settings right (code forbidden)")
    unknown = _error("Unknown company or source, or the user cannot reach the company")
    body = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SourceConfigChange"}}}}
    return {
        "/api/v1/companies/{orgnr}/sources/{source}/config": {
            "parameters": [ORGNR, SOURCE],
            "get": {
                "summary": "A source's configuration for the company; secret fields only as {\"set\": true|false}",
                "description": "Bureau admins only (the same right as enabling a source).",
                "responses": {
                    "200": _ok("The configuration", "SourceConfig"),
                    "400": _error("The source takes no configuration (code bad_request)"),
                    "401": UNAUTHORIZED,
                    "403": not_admin,
                    "404": unknown,
                },
            },
            "put": {
                "summary": "Set fields of a source's configuration for the company",
                "description": "Bureau admins only. A JSON object of field names and values; fields left out keep "
                "their value, \"\" or null clears a field and keeps a secret. Secret fields are stored encrypted.",
                "requestBody": body,
                "responses": {
                    "200": _ok("The configuration after the change", "SourceConfig"),
                    "400": _error("Not a JSON object, or a field that does not validate (code bad_request; "
                                  "the message and `fields` name each field)"),
                    "401": UNAUTHORIZED,
                    "403": not_admin,
                    "404": unknown,
                },
            },
        },
    }


def _import_paths(max_upload_mb: int) -> dict[str, Any]:
    return {

            "/api/v1/companies/{orgnr}/imports": {
                "parameters": [ORGNR],
                "post": _upload_operation(max_upload_mb),
                "get": {
                    "summary": "The import log of a company, newest first",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}],
                    "responses": {
                        "200": _ok("The log", "ImportList"),
                        "400": BAD_REQUEST,
                        "401": UNAUTHORIZED,
                        "403": FORBIDDEN,
                        "404": NOT_FOUND,
                    },
                },
            },
            "/api/v1/imports/{import_id}": {
                "parameters": [IMPORT_ID],
                "get": {
                    "summary": "One import: status, live progress, counts, issues",
                    "description": "For those who see the company's import log, and for anyone the import they started "
                    "themselves (a sync at their sign-in, their Uppdatera).",
                    "responses": {
                        "200": {
                            "description": "The result object; a preview's (status previewed) with what the import would do",
                            "content": {"application/json": {"schema": {"oneOf": [
                                {"$ref": "#/components/schemas/ImportResult"}, {"$ref": "#/components/schemas/Preview"},
                            ]}}},
                        },
                        "401": UNAUTHORIZED,
                        "403": FORBIDDEN,
                        "404": NOT_FOUND,
                    },
                },
            },
    }


def _upload_operation(max_upload_mb: int) -> dict[str, Any]:
    """POST /api/v1/companies/{orgnr}/imports: an import, or its preview."""
    return {
        "summary": "Upload a file and import it in the background, or preview its import",
        "description": "Needs the right to import SIE4 files. A second import while one runs is "
        "accepted and waits its turn. Poll the returned url until the status is final.\n\n"
        "With dry_run=true the import runs on the import worker and is rolled back: the answer (200) "
        "is the preview (status previewed), with what the import would do to each fiscal year and "
        "needs_confirmation, the reasons it needs a confirmation. Nothing changes; the preview is not "
        "in the import log (GET /api/v1/imports/{import_id} still shows it).\n\n"
        "An import with reasons for confirmation (the data names no organisation number and another "
        "company; it replaces a fiscal year another source or program wrote; it leaves a year with "
        "fewer than half its vouchers) and without confirm=true is accepted (202), since the reasons "
        "are found on the import worker, and ends as a failed run: its issues are one with the code "
        "needs_confirmation and one per reason (import.confirm.company, import.confirm.other_writer, "
        "import.confirm.vouchers_removed).",
        "parameters": [
            {"name": "dry_run", "in": "query", "schema": {"type": "boolean", "default": False},
             "description": "preview only: answer 200 with the preview, change nothing"},
            {"name": "confirm", "in": "query", "schema": {"type": "boolean", "default": False},
             "description": "import even where the import needs a confirmation (also a form field)"},
        ],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "source": {"type": "string", "description": "a file source; default: the one that recognises the file"},
                            "confirm": {"type": "boolean", "description": "as the query parameter confirm"},
                            "dry_run": {"type": "boolean", "description": "as the query parameter dry_run"},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": _ok("dry_run=true: the preview; nothing changed", "Preview"),
            "202": _ok("Queued; Location names the import", "ImportAccepted"),
            "400": _error("No file, an unknown source, or a file no source recognises (code not_sie; the refusal is logged)"),
            "401": UNAUTHORIZED,
            "403": FORBIDDEN,
            "404": NOT_FOUND,
            "409": _error("The company's active source is an integration (code source_not_active), or two sources claim the file (conflict)"),
            "413": _error(f"The file is larger than the limit ({max_upload_mb} MB; code file_too_large)"),
        },
    }


def _company_paths() -> dict[str, Any]:
    return {
            "/api/v1/companies/{orgnr}/data-source": {
                "parameters": [ORGNR],
                "get": {
                    "summary": "The active data source and the choices",
                    "responses": {"200": _ok("The data source", "DataSource"), "401": UNAUTHORIZED, "404": NOT_FOUND},
                },
                "put": {
                    "summary": "Choose the data source: an integration, or \"other\" (files and pushes)",
                    "description": "Needs the settings right. Each switch is logged as a company event.",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DataSourceChange"}}}},
                    "responses": {
                        "200": _ok("The data source after the change", "DataSource"),
                        "400": _error("Not JSON, an unknown source, or a source that is not an integration"),
                        "401": UNAUTHORIZED,
                        "403": _error("No settings right, or the integration is not enabled for the company"),
                        "404": NOT_FOUND,
                    },
                },
            },
            "/api/v1/companies/{orgnr}/fiscal-years/latest": {
                "parameters": [ORGNR],
                "delete": {
                    "summary": "Ta bort data för det senaste räkenskapsåret",
                    "description": "Deletes the vouchers and balances of the latest fiscal year and the year itself. Needs the settings right.",
                    "responses": {
                        "200": _ok("What was deleted", "DeletedYear"),
                        "400": BAD_REQUEST,
                        "401": UNAUTHORIZED,
                        "403": FORBIDDEN,
                        "404": _error("Unknown company, or it has no fiscal years"),
                    },
                },
            },
            "/api/v1/companies/{orgnr}/refresh": {
                "parameters": [ORGNR],
                "post": {
                    "summary": "Uppdatera: sync from the company's active integration",
                    "responses": {
                        "202": _ok("The sync is queued", "ImportAccepted"),
                        "400": BAD_REQUEST,
                        "401": UNAUTHORIZED,
                        "404": NOT_FOUND,
                        "409": _error("The company uses \"other\" (source_not_active), or its integration is not installed (conflict)"),
                    },
                },
            },
            "/api/v1/openapi.json": {
                "get": {"summary": "This description", "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}},
            },
        }
